import Foundation

extension TimeInterval {
    /// A timeout as the core takes it: whole milliseconds, negative or NaN as zero, beyond
    /// 49 days as 49 days.
    var millisecondsForCore: UInt32 {
        UInt32(timeout: self)
    }
}

extension FixedWidthInteger where Self: UnsignedInteger {
    /// `seconds` in whole milliseconds, clamped to what the type holds (NaN and negative: 0).
    init(timeout seconds: TimeInterval) {
        let milliseconds = (seconds * 1000).rounded(.down)
        if !(milliseconds > 0) {
            self = 0
        } else if milliseconds >= Double(Self.max) {
            self = .max
        } else {
            self = Self(milliseconds)
        }
    }
}
