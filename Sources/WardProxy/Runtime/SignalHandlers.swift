import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP reloads, SIGTERM and SIGINT drain: handled with dispatch signal sources so no work runs in a signal
/// handler.
final class SignalHandlers {
    private let sources: [DispatchSourceSignal]
    private static let queue = DispatchQueue(label: "ward.signals")

    init(server: ProxyServer) {
        var sources: [DispatchSourceSignal] = []
        for (number, action) in [
            (SIGHUP, { @Sendable in _ = server.reload(trigger: .signal) }),
            (SIGTERM, { @Sendable in server.drain() }),
            (SIGINT, { @Sendable in server.drain() }),
        ] as [(Int32, @Sendable () -> Void)] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: Self.queue)
            source.setEventHandler(handler: action)
            sources.append(source)
        }
        self.sources = sources
    }

    func install() { sources.forEach { $0.resume() } }

    func cancel() { sources.forEach { $0.cancel() } }
}
