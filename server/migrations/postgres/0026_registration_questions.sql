-- Registration questions (报名问题, issue 12): an activity may ask the people booking it a few
-- questions (level, instrument, experience); the answers are shown to staff on the roster.
-- Questions are numbered by position from 1; answers refer to that position (D124), which is
-- why, once anyone has booked, questions can only be appended (optional ones) at the end.
CREATE TABLE activity_questions (
    activity_id BIGINT  NOT NULL REFERENCES activities(id),
    position    BIGINT  NOT NULL,
    text        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('single','multiple','text')),
    -- JSON array of the choices (empty for `text`).
    options     TEXT    NOT NULL DEFAULT '[]',
    required    BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (activity_id, position)
);

-- One row per answered question of a booking: a JSON array of strings (the chosen options, or
-- the one short text). A transfer moves them to the new booking (D125); erasure deletes them.
CREATE TABLE booking_answers (
    booking_id  BIGINT  NOT NULL REFERENCES bookings(id),
    position    BIGINT  NOT NULL,
    answer      TEXT    NOT NULL,
    PRIMARY KEY (booking_id, position)
);
