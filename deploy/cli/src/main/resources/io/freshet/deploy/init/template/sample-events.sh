#!/usr/bin/env bash
# Prints sample page_clicks events, one JSON object per line, spread over the 12 minutes before
# now: enough for several 10-minute windows to close as soon as the job has read them.
#   ./sample-events.sh > events.jsonl
set -euo pipefail
now=$(($(date +%s) * 1000))
i=0
for ((t = now - 12 * 60 * 1000; t <= now; t += 5000)); do
  case $((i % 10)) in
    0 | 1 | 2 | 3) page=home ;;
    4 | 5 | 6) page=pricing ;;
    7 | 8) page=docs ;;
    *) page=blog ;;
  esac
  user="u$(((i * 7) % 23))"
  if (((i + i / 10) % 4 == 0)); then action=click; else action=view; fi
  printf '{"page_id":"%s","user_id":"%s","action":"%s","ts":%d}\n' "$page" "$user" "$action" "$t"
  i=$((i + 1))
done
