import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends Modicum's upload requests with `URLSession`, so the app's TLS and networking settings
/// apply. Every failure is reported as a network error for the core's retry rules; nothing is
/// thrown. The core calls it from the upload job's thread, so it waits for the answer.
public final class URLSessionUploader: Uploader, @unchecked Sendable {
    // @unchecked: `session` is immutable after init, and URLSession is thread-safe.
    private let session: URLSession
    private let timeout: TimeInterval

    public init(session: URLSession = .shared, timeout: TimeInterval = 30) {
        self.session = session
        self.timeout = timeout
    }

    public func upload(request: UploadRequest) throws -> UploadOutcome {
        guard let url = URL(string: request.url) else {
            return .networkError(message: "not a URL: \(request.url)")
        }
        var http = URLRequest(url: url, timeoutInterval: timeout)
        http.httpMethod = "POST"
        for header in request.headers {
            http.setValue(header.value, forHTTPHeaderField: header.name)
        }
        let done = DispatchSemaphore(value: 0)
        let result = Box()
        let task = session.uploadTask(with: http, from: request.body) { _, response, error in
            if let response = response as? HTTPURLResponse {
                result.outcome = .response(
                    status: UInt16(clamping: response.statusCode),
                    retryAfter: response.value(forHTTPHeaderField: "Retry-After")
                )
            } else {
                result.outcome = .networkError(message: error.map { "\($0)" } ?? "no response")
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            return .networkError(message: "timed out")
        }
        return result.outcome ?? .networkError(message: "no response")
    }

    /// Carries the answer from URLSession's queue to the waiting thread (the semaphore orders
    /// the write before the read).
    private final class Box: @unchecked Sendable {
        var outcome: UploadOutcome?
    }
}
