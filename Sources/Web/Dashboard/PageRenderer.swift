import Foundation
import Hummingbird
import Mustache

/// The dashboard's templates (`Resources/Templates/*.mustache`, shipped with the module),
/// rendered into HTML responses. swift-mustache escapes every `{{value}}`; only SVG our own
/// code drew (escaping what it took from spans) goes through `{{{…}}}`.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    /// Loads every template of the module's resources.
    init() throws {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw PageError(status: .internalServerError, title: "Templates missing", message: "the dashboard templates were not installed with causeway")
        }
        var library = MustacheLibrary()
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        for file in files where file.pathExtension == "mustache" {
            try library.register(String(contentsOf: file, encoding: .utf8), named: file.deletingPathExtension().lastPathComponent)
        }
        self.library = library
    }

    /// The page `model` through its template, as a 200 (or `status`) HTML response.
    func render(_ model: Any, template: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(model, withTemplate: template) ?? "template \(template) missing"
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The stylesheet, read once.
    static let stylesheet: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "Static", withExtension: nil)?.appendingPathComponent("causeway.css"),
              let data = try? Data(contentsOf: url) else { return ByteBuffer() }
        return ByteBuffer(bytes: data)
    }()
}
