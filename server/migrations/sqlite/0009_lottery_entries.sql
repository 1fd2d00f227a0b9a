-- The exact entrant list of a lottery, frozen in the draw's transaction: a JSON array of the
-- entry (booking) ids that took part, in drawn order. The public record publishes this list,
-- so recomputing the draw from it gives the winners the draw gave.
ALTER TABLE activities ADD COLUMN lottery_entries TEXT;
