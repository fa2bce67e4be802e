-- Training semantics. A set says which values it holds: 'final' (every event within the allowed
-- lateness, as the offline history has it; what every set before this version holds) or
-- 'as-served' (what the gateway returned at each label's instant). Per view of a request-time
-- view version: the first instant the online store served one of its tiles, as of the set's as-of
-- time (null: never served, or a window-end view), and how many labels lay before it and so took
-- final values even in an as-served set.

ALTER TABLE freshet.training_sets
  ADD COLUMN IF NOT EXISTS semantics text NOT NULL DEFAULT 'final'
    CHECK (semantics IN ('final', 'as-served'));

ALTER TABLE freshet.training_set_views
  ADD COLUMN IF NOT EXISTS first_served_at timestamptz;

ALTER TABLE freshet.training_set_views
  ADD COLUMN IF NOT EXISTS labels_before_first_served bigint NOT NULL DEFAULT 0
    CHECK (labels_before_first_served >= 0);
