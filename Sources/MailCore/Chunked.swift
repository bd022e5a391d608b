extension Array {
    /// The array in consecutive slices of `size` elements (the last may be shorter): Graph's
    /// 20 requests per `$batch`, 1,000 ids per `translateExchangeIds`, SQLite's variable limit.
    public func chunked(_ size: Int) -> [ArraySlice<Element>] {
        precondition(size > 0, "chunks need a positive size")
        return stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
