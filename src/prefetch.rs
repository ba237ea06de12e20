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
    let (Some(last), Some(more_lines)) = (bytes.len().checked_sub(1), max_lines.checked_sub(1)) else {
        return;
    };
    let start = bytes.as_ptr() as usize;
    let first_line = start / LINE;
    let last_line = ((start + last) / LINE).min(first_line.saturating_add(more_lines));
    for line in first_line..=last_line {
        prefetch_address((line * LINE).max(start) as *const u8);
    }
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

    #[test]
    fn any_slice_and_line_count_is_taken() {
        let block = vec![7u8; 1000];
        for start in [0, 1, 63, 64, 65, 999, 1000] {
            for max_lines in [0, 1, 2, 8, usize::MAX] {
                prefetch_bytes(&block[start..], max_lines);
            }
        }
        prefetch_address(std::ptr::null());
        assert!(block.iter().all(|&byte| byte == 7));
    }
}
