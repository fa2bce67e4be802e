#!/usr/bin/env bash
# Prints sample page_clicks events, one JSON object per line, spread over the 12 minutes before
# now: enough for several 10-minute windows to close as soon as the job has read them.
#   ./sample-events.sh > events.jsonl
set -euo pipefail
now=$(($(date +%s) * 1000))
pages=(home pricing docs blog)
i=0
for ((t = now - 12 * 60 * 1000; t <= now; t += 5000)); do
  page=${pages[$((i % 4))]}
  user="u$(((i * 7) % 11))"
  if ((i % 3 == 0)); then action=click; else action=view; fi
  printf '{"page_id":"%s","user_id":"%s","action":"%s","ts":%d}\n' "$page" "$user" "$action" "$t"
  i=$((i + 1))
done
