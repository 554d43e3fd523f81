-- The benchmark's rules in DuckDB SQL, as an analyst would price activity in a warehouse.
-- Inputs: spells (one row per spell, integer-coded), hrgs (prices by HRG code), mff (by provider).
-- Rules: payment-rules.md A1 (spell price, excess bed days, RSSE, BPT, top-up, MFF), A4 (MRET
-- on the non-elective line), A5 (readmissions: avoidable share of in-scope readmissions not
-- paid), A9 (CQUIN on the non-elective line's outturn). Output: formal outturn by line.
-- Sums use fsum (compensated summation) so that money totals are exact to the penny.
WITH priced AS (
    SELECT
        s.row_id,
        s.pod,
        s.readmission_of,
        s.age,
        s.transfer_in,
        s.cross_border,
        h.readmission_excluded,
        CASE WHEN s.pod = 2 THEN 'nel' ELSE 'elective' END AS line,
        CASE s.pod WHEN 0 THEN h.day_case WHEN 1 THEN h.elective ELSE h.non_elective END AS raw_base,
        CASE WHEN isnan(raw_base) THEN 0.0 ELSE raw_base END AS base,
        greatest(s.los - CASE WHEN s.pod = 2 THEN h.non_elective_trim ELSE h.elective_trim END, 0)
            * h.excess_bed_day AS excess,
        CASE WHEN s.pod = 2 AND h.rsse_applicable AND s.los <= 1 AND s.age >= $rsse_min_age
                  AND NOT isnan(h.rsse_price)
             THEN h.rsse_price - base ELSE 0.0 END AS short_stay,
        CASE WHEN s.bpt_met AND NOT isnan(h.bpt_price)
             THEN h.bpt_price - (base + short_stay) ELSE 0.0 END AS bpt,
        base + excess + short_stay + bpt AS subtotal,
        CASE WHEN s.top_up_eligible THEN h.top_up_pct * subtotal ELSE 0.0 END AS top_up,
        (subtotal + top_up) * m.mff AS price
    FROM spells s
    JOIN hrgs h ON h.hrg = s.hrg
    JOIN mff m ON m.provider = s.provider
),
nel AS (
    SELECT fsum(price) AS v FROM priced WHERE line = 'nel' AND pod = 2
),
mret AS (
    SELECT CASE WHEN v > 0
                THEN (least(v, $baseline) + $rate * greatest(v - $baseline, 0)) / v
                ELSE 1.0 END AS factor
    FROM nel
),
after_mret AS (
    SELECT p.*, CASE WHEN p.line = 'nel' AND p.pod = 2 THEN p.price * mret.factor
                     ELSE p.price END AS value
    FROM priced p, mret
),
in_scope AS (  -- A5: linked emergency readmissions, less the exclusions
    SELECT r.row_id
    FROM after_mret r
    JOIN spells i ON i.row_id = r.readmission_of
    JOIN hrgs ih ON ih.hrg = i.hrg
    WHERE r.readmission_of >= 0 AND r.pod = 2 AND r.line = 'nel'
      AND NOT r.readmission_excluded AND NOT ih.readmission_excluded
      AND r.age >= $window_min_age AND NOT i.self_discharge AND NOT r.transfer_in
      AND NOT r.cross_border AND NOT i.cross_border
),
after_readmissions AS (
    SELECT a.line,
           CASE WHEN q.row_id IS NOT NULL THEN a.value * (1 - $avoidable) ELSE a.value END AS value
    FROM after_mret a LEFT JOIN in_scope q ON q.row_id = a.row_id
),
outturn AS (
    SELECT line, fsum(value) AS value FROM after_readmissions GROUP BY line
)
SELECT line,
       value + CASE WHEN line = 'nel' THEN $cquin_rate * value * $cquin_score ELSE 0 END AS formal
FROM outturn
ORDER BY line
