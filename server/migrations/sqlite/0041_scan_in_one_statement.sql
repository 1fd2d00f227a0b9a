-- Issue 18 (D271): a scan's admission and its answer under the volunteer's nonce are written by
-- one statement outside any transaction. The admission carries the nonce and the answer (without
-- its id and count); this trigger records the answer with both filled in and clears the copy.
-- A nonce recorded before makes the trigger's insert, and so the whole statement, fail: nothing
-- is written and the scan replays the first answer. Admissions of other sources carry no nonce.
ALTER TABLE checkins ADD COLUMN scan_nonce TEXT;
ALTER TABLE checkins ADD COLUMN scan_answer TEXT;

CREATE TRIGGER checkins_record_scan AFTER INSERT ON checkins WHEN NEW.scan_nonce IS NOT NULL
BEGIN
    INSERT INTO scans (volunteer_id, nonce, session_id, answer, created_at)
    VALUES (NEW.volunteer_id, NEW.scan_nonce, NEW.session_id,
            json_set(NEW.scan_answer, '$.checkin_id', NEW.id, '$.admitted_count',
                     (SELECT COUNT(*) FROM checkins WHERE session_id = NEW.session_id AND undone_at IS NULL)),
            NEW.recorded_at);
    UPDATE checkins SET scan_answer = NULL WHERE id = NEW.id;
END;
