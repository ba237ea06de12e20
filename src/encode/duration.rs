//! A `timedelta` as an ISO 8601 duration, exactly as pydantic's JSON mode writes it: `P1DT2H`,
//! `PT1.5S`, `-PT30M`, `P1Y35D` (a year being 365 days), `PT0S` for zero.
//!
//! The sign applies to the whole duration: `timedelta(days=-1, seconds=1)` is `-PT23H59M59S`.

const MICROSECONDS_PER_SECOND: u128 = 1_000_000;
const SECONDS_PER_DAY: u128 = 86_400;
const DAYS_PER_YEAR: u128 = 365;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration {
    /// Signed total; a `timedelta` spans about ±2.7 million years, beyond `i64` microseconds.
    pub microseconds: i128,
}

impl Duration {
    /// From a `timedelta`'s normalized fields (`days` carries the sign).
    pub fn from_timedelta(days: i64, seconds: i64, microseconds: i64) -> Self {
        Duration {
            microseconds: (i128::from(days) * SECONDS_PER_DAY as i128 + i128::from(seconds))
                * MICROSECONDS_PER_SECOND as i128
                + i128::from(microseconds),
        }
    }
}

pub fn write_iso_duration(out: &mut String, duration: &Duration) {
    if duration.microseconds < 0 {
        out.push('-');
    }
    out.push('P');
    let total = duration.microseconds.unsigned_abs();
    if total == 0 {
        out.push_str("T0S");
        return;
    }
    let microseconds = total % MICROSECONDS_PER_SECOND;
    let all_seconds = total / MICROSECONDS_PER_SECOND;
    let mut days = all_seconds / SECONDS_PER_DAY;
    let seconds_of_day = all_seconds % SECONDS_PER_DAY;
    if days >= DAYS_PER_YEAR {
        push_number(out, days / DAYS_PER_YEAR);
        out.push('Y');
        days %= DAYS_PER_YEAR;
    }
    if days != 0 {
        push_number(out, days);
        out.push('D');
    }
    if seconds_of_day == 0 && microseconds == 0 {
        return;
    }
    out.push('T');
    let (hours, minutes, seconds) = (seconds_of_day / 3600, seconds_of_day / 60 % 60, seconds_of_day % 60);
    if hours != 0 {
        push_number(out, hours);
        out.push('H');
    }
    if minutes != 0 {
        push_number(out, minutes);
        out.push('M');
    }
    if seconds != 0 || microseconds != 0 {
        push_number(out, seconds);
        if microseconds != 0 {
            let fraction = format!("{microseconds:06}");
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
        out.push('S');
    }
}

fn push_number(out: &mut String, value: u128) {
    out.push_str(itoa::Buffer::new().format(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(days: i64, seconds: i64, microseconds: i64) -> String {
        let mut out = String::new();
        write_iso_duration(&mut out, &Duration::from_timedelta(days, seconds, microseconds));
        out
    }

    /// Expected texts from pydantic 2.12: `TypeAdapter(timedelta).dump_json(...)`.
    #[test]
    fn writes_what_pydantic_writes() {
        assert_eq!(iso(0, 0, 0), "PT0S");
        assert_eq!(iso(1, 0, 0), "P1D");
        assert_eq!(iso(0, 1, 500_000), "PT1.5S");
        assert_eq!(iso(-1, 0, 0), "-P1D");
        assert_eq!(iso(-1, 86_399, 0), "-PT1S");
        assert_eq!(iso(-1, 1, 0), "-PT23H59M59S");
        assert_eq!(iso(0, 0, 1), "PT0.000001S");
        assert_eq!(iso(400, 11_045, 0), "P1Y35DT3H4M5S");
        assert_eq!(iso(1, 3600, 0), "P1DT1H");
        assert_eq!(iso(-1, 84_600, 0), "-PT30M");
        assert_eq!(iso(2, 0, 10), "P2DT0.00001S");
        assert_eq!(iso(999_999_999, 86_399, 999_999), "P2739726Y9DT23H59M59.999999S");
        assert_eq!(iso(-999_999_999, 0, 0), "-P2739726Y9D");
        assert_eq!(iso(0, 60, 0), "PT1M");
        assert_eq!(iso(-1, 86_399, 999_999), "-PT0.000001S");
        assert_eq!(iso(365, 0, 0), "P1Y");
        assert_eq!(iso(366, 0, 0), "P1Y1D");
        assert_eq!(iso(0, 3605, 0), "PT1H5S");
        assert_eq!(iso(0, 60, 100), "PT1M0.0001S");
        assert_eq!(iso(365, 0, 1), "P1YT0.000001S");
    }
}
