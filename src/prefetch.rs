//! Asking the processor to start loading memory a call is about to read.
//!
//! A process holds many roads and a call touches one of them, whose compiled data is rarely in
//! the cache. Read in order, each of its cache lines costs a trip to memory that starts only once
//! the reading before it is done; asked for together when the call begins, the trips overlap.
//! A prefetch is a hint: it never faults and changes nothing a program can observe.

/// The cache line size of the processors this is built for.
const LINE: usize = 64;

/// Start loading the first `max_lines` cache lines that `bytes` lies on.
#[inline(always)]
pub fn prefetch_bytes(bytes: &[u8], max_lines: usize) {
    for address in line_addresses(bytes.as_ptr() as usize, bytes.len(), max_lines) {
        prefetch_address(address as *const u8);
    }
}

/// An address on each of the first `max_lines` cache lines that `len` bytes at `start` lie on:
/// `start` itself, then where each following line begins.
#[inline(always)]
fn line_addresses(start: usize, len: usize, max_lines: usize) -> impl Iterator<Item = usize> {
    let lines = match len.checked_sub(1) {
        Some(last) => {
            let first_line = start / LINE;
            first_line..((start + last) / LINE + 1).min(first_line.saturating_add(max_lines))
        }
        None => 0..0,
    };
    lines.map(move |line| (line * LINE).max(start))
}

/// Start loading the cache line at `address`.
#[inline(always)]
pub fn prefetch_address(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and never faults, whatever the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(address.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(start: usize, len: usize, max_lines: usize) -> Vec<usize> {
        line_addresses(start, len, max_lines).collect()
    }

    #[test]
    fn each_line_under_the_bytes_is_named_once_up_to_the_count() {
        assert_eq!(addresses(64, 0, 8), Vec::<usize>::new());
        assert_eq!(addresses(64, 100, 0), Vec::<usize>::new());
        assert_eq!(addresses(64, 1, 8), vec![64]);
        assert_eq!(addresses(64, 64, 8), vec![64]);
        assert_eq!(addresses(64, 65, 8), vec![64, 128]);
        // A start inside a line: the next lines begin where the line boundaries fall.
        assert_eq!(addresses(70, 60, 8), vec![70, 128]);
        assert_eq!(addresses(127, 2, 8), vec![127, 128]);
        assert_eq!(addresses(0, 1000, 2), vec![0, 64]);
        assert_eq!(addresses(1, 1000, usize::MAX).len(), 16);
        assert_eq!(addresses(usize::MAX - 10, 10, usize::MAX), vec![usize::MAX - 10]);
    }

    #[test]
    fn real_slices_of_any_start_and_length_are_taken() {
        let block = vec![7u8; 1000];
        for start in [0, 1, 63, 64, 65, 999, 1000] {
            for max_lines in [0, 1, 2, 8, usize::MAX] {
                prefetch_bytes(&block[start..], max_lines);
            }
        }
        prefetch_address(std::ptr::null());
    }
}
