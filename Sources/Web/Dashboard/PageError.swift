import Hummingbird

/// A dashboard error page (404 for an unknown id, 403 without the role or the CSRF token, 400
/// for a bad query). Handlers throw it; `SecurityHeadersMiddleware` renders it.
struct PageError: HTTPResponseError {
    var status: HTTPResponse.Status
    var title: String
    var message: String

    static func notFound(_ message: String) -> PageError {
        PageError(status: .notFound, title: "Not found", message: message)
    }

    static func forbidden(_ message: String) -> PageError {
        PageError(status: .forbidden, title: "Not allowed", message: message)
    }

    static func badRequest(_ message: String) -> PageError {
        PageError(status: .badRequest, title: "Bad request", message: message)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTMLText.escape(title)) · Causeway</title><link rel="stylesheet" href="/static/causeway.css"></head>
            <body><header class="top"><a class="brand" href="/">Causeway</a></header><main class="page">
            <section class="empty"><h1>\(status.code) · \(HTMLText.escape(title))</h1><p>\(HTMLText.escape(message))</p>
            <p><a href="/">Back to the queue</a></p></section></main></body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
