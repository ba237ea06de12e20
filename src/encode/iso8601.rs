//! Dates, times and datetimes as ISO 8601 text, exactly as Python's `isoformat()` writes them:
//! `2024-05-06`, `07:08:09`, `07:08:09.000123`, `2024-05-06T07:08:09+02:00`.

use std::mem::MaybeUninit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub microsecond: u32,
    /// None for a naive time (no tzinfo, or a tzinfo whose `utcoffset` is None).
    pub offset: Option<UtcOffset>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub date: Date,
    pub time: Time,
}

/// A UTC offset, as the `timedelta` a tzinfo returns; Python keeps it within ±24 hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcOffset {
    pub microseconds: i64,
}

impl UtcOffset {
    pub const UTC: UtcOffset = UtcOffset { microseconds: 0 };

    /// From a `timedelta`'s normalized fields.
    pub fn from_timedelta(days: i64, seconds: i64, microseconds: i64) -> Self {
        UtcOffset {
            microseconds: (days * 86_400 + seconds) * 1_000_000 + microseconds,
        }
    }
}

/// The longest text: `YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM:SS.ffffff`.
pub const MAX_LENGTH: usize = 42;

/// Write `date` at the start of `out` (at least `MAX_LENGTH` long) and return how many bytes were
/// written, all ASCII.
#[inline]
pub fn format_date(out: &mut [MaybeUninit<u8>], date: &Date) -> usize {
    let mut cursor = Cursor::new(out);
    cursor.date(date);
    cursor.length
}

/// As `format_date`, for a time of day.
#[inline]
pub fn format_time(out: &mut [MaybeUninit<u8>], time: &Time) -> usize {
    let mut cursor = Cursor::new(out);
    cursor.time(time);
    cursor.length
}

/// As `format_date`, for a datetime.
#[inline]
pub fn format_datetime(out: &mut [MaybeUninit<u8>], datetime: &DateTime) -> usize {
    let mut cursor = Cursor::new(out);
    cursor.date(&datetime.date);
    cursor.push(b'T');
    cursor.time(&datetime.time);
    cursor.length
}

/// Two ASCII digits for each value below 100, so a field costs one lookup, not two divisions.
pub const TWO_DIGITS: [[u8; 2]; 100] = {
    let mut table = [[0u8; 2]; 100];
    let mut value = 0;
    while value < 100 {
        table[value] = [b'0' + (value / 10) as u8, b'0' + (value % 10) as u8];
        value += 1;
    }
    table
};

/// Writes straight into the output's spare room: building the text in a buffer of its own and
/// copying it costs more than the formatting (the copy's wide loads stall on the narrow stores).
struct Cursor<'a> {
    out: &'a mut [MaybeUninit<u8>],
    length: usize,
}

impl<'a> Cursor<'a> {
    fn new(out: &'a mut [MaybeUninit<u8>]) -> Self {
        assert!(out.len() >= MAX_LENGTH, "room for {MAX_LENGTH} bytes");
        Cursor { out, length: 0 }
    }

    #[inline(always)]
    fn push(&mut self, byte: u8) {
        self.out[self.length].write(byte);
        self.length += 1;
    }

    /// Two digits of `value`, which is below 100 (a larger one keeps its last two digits, which no
    /// valid date or time field has).
    #[inline(always)]
    fn two(&mut self, value: u32) {
        let [tens, ones] = TWO_DIGITS[(value % 100) as usize];
        self.push(tens);
        self.push(ones);
    }

    #[inline(always)]
    fn date(&mut self, date: &Date) {
        let year = u32::from(date.year);
        self.two(year / 100);
        self.two(year);
        self.push(b'-');
        self.two(u32::from(date.month));
        self.push(b'-');
        self.two(u32::from(date.day));
    }

    #[inline(always)]
    fn time(&mut self, time: &Time) {
        self.two(u32::from(time.hour));
        self.push(b':');
        self.two(u32::from(time.minute));
        self.push(b':');
        self.two(u32::from(time.second));
        if time.microsecond != 0 {
            self.push(b'.');
            self.microseconds(time.microsecond);
        }
        if let Some(offset) = time.offset {
            self.offset(offset);
        }
    }

    /// Six digits.
    #[inline(always)]
    fn microseconds(&mut self, value: u32) {
        self.two(value / 10_000);
        self.two(value / 100);
        self.two(value);
    }

    /// `+HH:MM`, with `:SS` and `.ffffff` only when the offset has them, as `isoformat()` does.
    fn offset(&mut self, offset: UtcOffset) {
        self.push(if offset.microseconds < 0 { b'-' } else { b'+' });
        let total = offset.microseconds.unsigned_abs();
        let microseconds = (total % 1_000_000) as u32;
        let seconds = total / 1_000_000;
        self.two((seconds / 3600) as u32);
        self.push(b':');
        self.two((seconds / 60 % 60) as u32);
        if seconds % 60 != 0 || microseconds != 0 {
            self.push(b':');
            self.two((seconds % 60) as u32);
            if microseconds != 0 {
                self.push(b'.');
                self.microseconds(microseconds);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(hour: u8, minute: u8, second: u8, microsecond: u32, offset: Option<i64>) -> Time {
        Time {
            hour,
            minute,
            second,
            microsecond,
            offset: offset.map(|microseconds| UtcOffset { microseconds }),
        }
    }

    fn text(format: impl FnOnce(&mut [MaybeUninit<u8>]) -> usize) -> String {
        let mut out = [MaybeUninit::new(0u8); MAX_LENGTH];
        let length = format(&mut out);
        let bytes: Vec<u8> = out[..length].iter().map(|byte| unsafe { byte.assume_init() }).collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn writes_like_isoformat() {
        let date = Date {
            year: 2024,
            month: 5,
            day: 6,
        };
        assert_eq!(text(|o| format_date(o, &date)), "2024-05-06");
        let early = Date {
            year: 1,
            month: 1,
            day: 1,
        };
        assert_eq!(text(|o| format_date(o, &early)), "0001-01-01");
        assert_eq!(text(|o| format_time(o, &time(7, 8, 9, 0, None))), "07:08:09");
        assert_eq!(text(|o| format_time(o, &time(7, 8, 9, 123, None))), "07:08:09.000123");
        let datetime = DateTime {
            date,
            time: time(23, 59, 59, 999_999, Some(0)),
        };
        assert_eq!(
            text(|o| format_datetime(o, &datetime)),
            "2024-05-06T23:59:59.999999+00:00"
        );
    }

    #[test]
    fn writes_offsets_like_isoformat() {
        let offset = |days, seconds, micros| {
            let time = time(
                0,
                0,
                0,
                0,
                Some(UtcOffset::from_timedelta(days, seconds, micros).microseconds),
            );
            text(|o| format_time(o, &time))["00:00:00".len()..].to_owned()
        };
        assert_eq!(offset(0, 0, 0), "+00:00");
        assert_eq!(offset(0, 2 * 3600, 0), "+02:00");
        assert_eq!(offset(0, 5 * 3600 + 30 * 60, 0), "+05:30");
        // -05:00 is timedelta(days=-1, seconds=68400).
        assert_eq!(offset(-1, 68_400, 0), "-05:00");
        assert_eq!(offset(0, 3603, 5), "+01:00:03.000005");
        assert_eq!(offset(0, 3603, 0), "+01:00:03");
        assert_eq!(offset(0, 86_399, 999_999), "+23:59:59.999999");
        let longest = DateTime {
            date: Date {
                year: 9999,
                month: 12,
                day: 31,
            },
            time: time(23, 59, 59, 999_999, Some(-(86_399 * 1_000_000 + 999_999))),
        };
        assert_eq!(
            text(|o| format_datetime(o, &longest)),
            "9999-12-31T23:59:59.999999-23:59:59.999999"
        );
        assert_eq!(text(|o| format_datetime(o, &longest)).len(), MAX_LENGTH);
    }
}
