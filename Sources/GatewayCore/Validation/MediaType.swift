/// Whether a request's `Content-Type` is JSON as the contract defines it: `application/json` or any `+json`
/// structured suffix (`application/merge-patch+json`), parameters such as `charset` ignored, case-insensitive.
public enum MediaType {
    public static func isJSON(_ contentType: Substring) -> Bool {
        let essence = contentType.prefix { $0 != ";" }.trimmingSpaces()
        guard let slash = essence.firstIndex(of: "/") else { return false }
        let type = essence[..<slash]
        let subtype = essence[essence.index(after: slash)...]
        guard !type.isEmpty, !subtype.isEmpty, !subtype.contains("/") else { return false }
        if type.lowercased() != "application" { return subtype.lowercased().hasSuffix("+json") }
        let lowered = subtype.lowercased()
        return lowered == "json" || lowered.hasSuffix("+json")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return start < end ? self[start..<end] : self[start..<start]
    }
}
