/// The largest power of two not above `bytes` (0 stays 0).
///
/// Rounding down, not to the nearest, keeps every bucket a plain interval `[2^k, 2^(k+1))`
/// that analysts can read without knowing the rule, and never claims more than the device has.
pub fn bucket_capacity(bytes: u64) -> u64 {
    match bytes {
        0 => 0,
        n => 1 << (63 - n.leading_zeros()),
    }
}

#[cfg(test)]
mod tests {
    use super::bucket_capacity;

    #[test]
    fn rounds_down_to_a_power_of_two() {
        let cases = [
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 2),
            (1023, 512),
            (1024, 1024),
            (1025, 1024),
            (3_000_000_000, 2_147_483_648),
            (128_000_000_000, 68_719_476_736),
            (u64::MAX, 1 << 63),
        ];
        for (input, expected) in cases {
            assert_eq!(bucket_capacity(input), expected, "{input}");
        }
    }

    proptest::proptest! {
        #[test]
        fn bucket_is_within_a_factor_of_two(n in 1u64..) {
            let b = bucket_capacity(n);
            proptest::prop_assert!(b <= n && n / 2 < b && b.is_power_of_two());
        }
    }
}
