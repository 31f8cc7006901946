/// Whether a request's `Content-Type` is JSON as the contract defines it: `application/json` or any `+json`
/// structured suffix (`application/merge-patch+json`), parameters such as `charset` ignored, case-insensitive.
public enum MediaType {
    public static func isJSON(_ contentType: Substring) -> Bool {
        let essence = contentType.prefix { $0 != ";" }.trimmingASCIIWhitespace()
        guard let slash = essence.firstIndex(of: "/") else { return false }
        let type = essence[..<slash]
        let subtype = essence[essence.index(after: slash)...]
        guard !type.isEmpty, !subtype.isEmpty, !subtype.contains("/") else { return false }
        let lowered = subtype.lowercased()
        if !type.equalsASCIICaseInsensitive("application") { return lowered.hasSuffix("+json") }
        return lowered == "json" || lowered.hasSuffix("+json")
    }
}
