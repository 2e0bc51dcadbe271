import NIOConcurrencyHelpers
import NIOCore

/// The open client connections, so a drain can ask each to finish and tell when all are gone.
final class ConnectionTracker: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])

    func add(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLockedValue { $0.removeValue(forKey: id) }
        }
    }

    var count: Int { channels.withLockedValue { $0.count } }

    var all: [Channel] { channels.withLockedValue { Array($0.values) } }
}
