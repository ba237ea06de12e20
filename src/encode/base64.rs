//! Standard base64 with padding (RFC 4648 §4), for `bytes` results when the caller asks for it.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn write_base64(out: &mut String, data: &[u8]) {
    out.reserve(data.len().div_ceil(3) * 4);
    let mut chunks = data.chunks_exact(3);
    for chunk in &mut chunks {
        let group = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[(group >> shift & 0x3F) as usize] as char);
        }
    }
    match *chunks.remainder() {
        [first] => {
            let group = u32::from(first) << 16;
            out.push(ALPHABET[(group >> 18 & 0x3F) as usize] as char);
            out.push(ALPHABET[(group >> 12 & 0x3F) as usize] as char);
            out.push_str("==");
        }
        [first, second] => {
            let group = u32::from(first) << 16 | u32::from(second) << 8;
            for shift in [18, 12, 6] {
                out.push(ALPHABET[(group >> shift & 0x3F) as usize] as char);
            }
            out.push('=');
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc_4648_test_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (data, expected) in cases {
            let mut out = String::new();
            write_base64(&mut out, data.as_bytes());
            assert_eq!(out, expected);
        }
        let mut out = String::new();
        write_base64(&mut out, &[0xFF, 0xFE, 0xFD, 0x00]);
        assert_eq!(out, "//79AA==");
    }
}
