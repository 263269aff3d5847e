import NIOSSL

/// `listen.tls`: one certificate (chain) and key, PEM files, for OTLP/HTTP, OTLP/gRPC and the
/// API alike (DESIGN.md §8).
public struct ListenerTLS: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// The server side of TLS for the HTTP listeners; throws a message naming the file it could not read.
    public func serverConfiguration() throws(TLSFileError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSFileError("listen.tls.cert: cannot read a PEM certificate from \(certificatePath): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSFileError("listen.tls.key: cannot read a PEM private key from \(keyPath): \(error)")
        }
        guard !chain.isEmpty else { throw TLSFileError("listen.tls.cert: \(certificatePath) holds no certificate") }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

/// A `listen.tls` file that could not be used.
public struct TLSFileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
