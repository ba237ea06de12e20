//! The one buffer an encoding writes into: compact JSON, no insignificant whitespace.
//!
//! The buffer holds bytes, but only ever valid UTF-8: every write is either a `&str` (copied as
//! is, or escaped at ASCII positions) or ASCII the writer produces itself. So the finished text
//! becomes a `String` without a second pass over it.

use super::base64::write_base64;
use super::duration::{write_iso_duration, Duration};
use super::escape::{escaped_length, escaped_length_wtf8, write_json_string, write_json_string_wtf8};
use std::mem::MaybeUninit;

use super::iso8601::{format_date, format_datetime, format_time, Date, DateTime, Time, MAX_LENGTH, TWO_DIGITS};

#[derive(Debug, Default)]
pub struct JsonWriter {
    buffer: Vec<u8>,
}

impl JsonWriter {
    pub fn with_capacity(capacity: usize) -> Self {
        JsonWriter {
            buffer: Vec::with_capacity(capacity),
        }
    }

    /// A writer reusing `buffer`'s memory (its content is dropped).
    pub fn reusing(mut buffer: Vec<u8>) -> Self {
        buffer.clear();
        JsonWriter { buffer }
    }

    /// The buffer, for reuse.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buffer
    }

    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    pub fn as_str(&self) -> &str {
        debug_assert!(std::str::from_utf8(&self.buffer).is_ok());
        // SAFETY: the buffer only ever holds valid UTF-8 (see the module comment).
        unsafe { std::str::from_utf8_unchecked(&self.buffer) }
    }

    pub fn into_string(self) -> String {
        debug_assert!(std::str::from_utf8(&self.buffer).is_ok());
        // SAFETY: as in `as_str`.
        unsafe { String::from_utf8_unchecked(self.buffer) }
    }

    /// Structural punctuation: `{`, `}`, `[`, `]`, `,` and `:`.
    #[inline(always)]
    pub fn punctuation(&mut self, mark: u8) {
        assert!(matches!(mark, b'{' | b'}' | b'[' | b']' | b',' | b':'));
        self.buffer.push(mark);
    }

    #[inline]
    pub fn null(&mut self) {
        self.buffer.extend_from_slice(b"null");
    }

    #[inline]
    pub fn bool(&mut self, value: bool) {
        self.buffer.extend_from_slice(if value { b"true" } else { b"false" });
    }

    #[inline]
    pub fn string(&mut self, text: &str) {
        write_json_string(&mut self.buffer, text);
    }

    /// A string from WTF-8 bytes (UTF-8 plus lone surrogates); see `write_json_string_wtf8`.
    pub fn string_wtf8(&mut self, bytes: &[u8]) {
        write_json_string_wtf8(&mut self.buffer, bytes);
    }

    /// The start of `text` as a string: the characters of its first `room` bytes at most,
    /// escaped and quoted. Returns the length the whole escaped content would have taken.
    pub fn string_start(&mut self, text: &str, room: usize) -> usize {
        let mut end = room.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        write_json_string(&mut self.buffer, &text[..end]);
        escaped_length(text)
    }

    /// `string_start` for WTF-8 bytes.
    pub fn string_start_wtf8(&mut self, bytes: &[u8], room: usize) -> usize {
        let mut end = room.min(bytes.len());
        // Never inside a sequence: continuation bytes are 0b10xxxxxx.
        while end > 0 && end < bytes.len() && bytes[end] & 0xC0 == 0x80 {
            end -= 1;
        }
        write_json_string_wtf8(&mut self.buffer, &bytes[..end]);
        escaped_length_wtf8(bytes)
    }

    /// The base64 text of the first bytes of `data`, at most `room` characters of it, quoted.
    /// Returns the length the whole base64 text would have taken.
    pub fn base64_start(&mut self, data: &[u8], room: usize) -> usize {
        let whole_groups = room / 4;
        self.base64(&data[..(whole_groups * 3).min(data.len())]);
        data.len().div_ceil(3) * 4
    }

    #[inline]
    pub fn i64(&mut self, value: i64) {
        if value < 0 {
            self.buffer.push(b'-');
        }
        self.u64(value.unsigned_abs());
    }

    /// Digits written straight into the buffer's spare room, two at a time from the end: a copy
    /// from a formatting buffer would call `memcpy` for every number.
    #[inline]
    pub fn u64(&mut self, value: u64) {
        let length = value.checked_ilog10().unwrap_or(0) as usize + 1;
        self.buffer.reserve(length);
        let start = self.buffer.len();
        let spare = &mut self.buffer.spare_capacity_mut()[..length];
        let mut rest = value;
        let mut end = length;
        while rest >= 100 {
            let [tens, ones] = TWO_DIGITS[(rest % 100) as usize];
            spare[end - 2].write(tens);
            spare[end - 1].write(ones);
            end -= 2;
            rest /= 100;
        }
        if rest >= 10 {
            let [tens, ones] = TWO_DIGITS[rest as usize];
            spare[end - 2].write(tens);
            spare[end - 1].write(ones);
        } else {
            spare[end - 1].write(b'0' + rest as u8);
        }
        // SAFETY: the `length` digits were all written above (the loop and the last step fill
        // positions `length - 1` down to 0), and they are ASCII.
        unsafe { self.buffer.set_len(start + length) };
    }

    /// A float as its shortest round-tripping form; NaN and the infinities, which JSON cannot
    /// carry, become `null` (as orjson and JavaScript's `JSON.stringify` write them).
    #[inline]
    pub fn f64(&mut self, value: f64) {
        if !value.is_finite() {
            self.null();
            return;
        }
        // Ryū's longest output, `-1.2345678901234567e-308`.
        const RYU_MAX: usize = 24;
        self.buffer.reserve(RYU_MAX);
        let start = self.buffer.len();
        // SAFETY: `value` is finite and there are `RYU_MAX` writable bytes past `start`;
        // `format64` returns how many ASCII bytes it wrote.
        unsafe {
            let length = ryu::raw::format64(value, self.buffer.as_mut_ptr().add(start));
            self.buffer.set_len(start + length);
        }
    }

    /// Number text produced elsewhere (a `Decimal`, an integer past 64 bits), already checked to be
    /// a JSON number by `is_json_number`.
    #[inline]
    pub fn number_text(&mut self, text: &str) {
        debug_assert!(is_json_number(text), "{text:?}");
        self.buffer.extend_from_slice(text.as_bytes());
    }

    pub fn date(&mut self, date: &Date) {
        self.iso(|out| format_date(out, date));
    }

    pub fn time(&mut self, time: &Time) {
        self.iso(|out| format_time(out, time));
    }

    pub fn datetime(&mut self, datetime: &DateTime) {
        self.iso(|out| format_datetime(out, datetime));
    }

    /// ISO 8601 text in quotes, formatted straight into the buffer's spare room.
    #[inline(always)]
    fn iso(&mut self, format: impl FnOnce(&mut [MaybeUninit<u8>]) -> usize) {
        self.buffer.reserve(MAX_LENGTH + 2);
        let start = self.buffer.len();
        let spare = self.buffer.spare_capacity_mut();
        spare[0].write(b'"');
        let length = format(&mut spare[1..]);
        spare[1 + length].write(b'"');
        // SAFETY: the quotes and the `length` bytes between them were just written, all ASCII.
        unsafe { self.buffer.set_len(start + length + 2) };
    }

    pub fn duration(&mut self, duration: &Duration) {
        let mut text = String::new();
        write_iso_duration(&mut text, duration);
        self.quoted_plain(&text);
    }

    pub fn base64(&mut self, data: &[u8]) {
        let mut text = String::new();
        write_base64(&mut text, data);
        self.quoted_plain(&text);
    }

    /// A string whose content needs no escaping (ISO 8601 text, base64).
    fn quoted_plain(&mut self, text: &str) {
        debug_assert!(!text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'));
        self.buffer.reserve(text.len() + 2);
        self.buffer.push(b'"');
        self.buffer.extend_from_slice(text.as_bytes());
        self.buffer.push(b'"');
    }
}

/// Whether `text` is a JSON number (`-? int frac? exp?`), as `str(Decimal)` gives for finite values.
pub fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = usize::from(bytes.first() == Some(&b'-'));
    let digits = |index: &mut usize| {
        let start = *index;
        while *index < bytes.len() && bytes[*index].is_ascii_digit() {
            *index += 1;
        }
        *index - start
    };
    let integer_start = index;
    let integer_digits = digits(&mut index);
    if integer_digits == 0 || (integer_digits > 1 && bytes[integer_start] == b'0') {
        return false;
    }
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        if digits(&mut index) == 0 {
            return false;
        }
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'+' | b'-')) {
            index += 1;
        }
        if digits(&mut index) == 0 {
            return false;
        }
    }
    index == bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_numbers_compactly() {
        let mut writer = JsonWriter::default();
        writer.punctuation(b'[');
        writer.i64(-42);
        writer.punctuation(b',');
        writer.u64(u64::MAX);
        writer.punctuation(b',');
        writer.f64(0.1);
        writer.punctuation(b',');
        writer.f64(1e300);
        writer.punctuation(b',');
        writer.f64(f64::NAN);
        writer.punctuation(b',');
        writer.f64(f64::NEG_INFINITY);
        writer.punctuation(b',');
        writer.f64(-0.0);
        writer.punctuation(b',');
        writer.bool(true);
        writer.punctuation(b',');
        writer.null();
        writer.punctuation(b']');
        assert_eq!(
            writer.as_str(),
            "[-42,18446744073709551615,0.1,1e300,null,null,-0.0,true,null]"
        );
        let parsed: serde_json::Value = serde_json::from_str(writer.as_str()).unwrap();
        assert_eq!(parsed[2], serde_json::json!(0.1));
    }

    #[test]
    fn writes_every_integer_width() {
        let mut samples = vec![0, 1, 9, 10, 99, 100, 101, 999, 1000, i64::MAX, i64::MIN, -1, -10, -100];
        let mut power = 1i64;
        while let Some(next) = power.checked_mul(10) {
            samples.extend([power - 1, power, power + 1, -power, next - 1]);
            power = next;
        }
        for value in samples {
            let mut writer = JsonWriter::default();
            writer.i64(value);
            assert_eq!(writer.as_str(), value.to_string());
        }
        let mut writer = JsonWriter::default();
        writer.u64(u64::MAX);
        assert_eq!(writer.as_str(), u64::MAX.to_string());
    }

    #[test]
    fn writes_floats_as_ryu_does() {
        for value in [
            0.0,
            -0.0,
            1.5,
            1e16,
            1e-7,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -1.2345678901234567e-308,
        ] {
            let mut writer = JsonWriter::default();
            writer.f64(value);
            assert_eq!(writer.as_str(), ryu::Buffer::new().format_finite(value));
        }
    }

    #[test]
    fn recognizes_json_numbers() {
        for good in [
            "0",
            "-0",
            "12.50",
            "1E+2",
            "1e-7",
            "0E-8",
            "-3.14159",
            "123456789012345678901234567890",
        ] {
            assert!(is_json_number(good), "{good}");
        }
        for bad in [
            "",
            "-",
            "NaN",
            "Infinity",
            "-Infinity",
            "sNaN",
            "01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "1 ",
        ] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}
