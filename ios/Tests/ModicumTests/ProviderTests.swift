import Foundation
import XCTest
@testable import Modicum

/// The Linux providers read the real machine, and the core asks them.
final class ProviderTests: TemporaryDirectoryTestCase {
    /// Counts the core's calls and keeps what it was given.
    private final class Spy: DeviceInfoProvider {
        let inner: DeviceInfoProvider
        let handedOut = Locked([DeviceInfo]())
        init(_ inner: DeviceInfoProvider) { self.inner = inner }
        func deviceInfo() throws -> DeviceInfo {
            let info = try inner.deviceInfo()
            handedOut.withLock { $0.append(info) }
            return info
        }
    }

    func testProcessInfoProviderReadsTheRealMachine() throws {
        // The storage directory does not exist yet: its nearest existing parent is measured.
        let info = try ProcessInfoDeviceInfoProvider(storageDirectory: directory.appendingPathComponent("later"))
            .deviceInfo()
        XCTAssertGreaterThan(try XCTUnwrap(info.cpuCores), 0)
        XCTAssertGreaterThan(try XCTUnwrap(info.ramBytes), 0)
        let total = try XCTUnwrap(info.storageTotalBytes)
        XCTAssertGreaterThan(total, 0)
        XCTAssertLessThanOrEqual(try XCTUnwrap(info.storageFreeBytes), total)
        XCTAssertNotNil(info.osVersion)
        XCTAssertFalse(try XCTUnwrap(info.timeZone).isEmpty)
        #if os(Linux)
            XCTAssertEqual(info.osName, "Linux")
        #endif
    }

    func testWithoutAStorageDirectoryNoStorageIsRead() throws {
        let info = try ProcessInfoDeviceInfoProvider(storageDirectory: nil).deviceInfo()
        XCTAssertNil(info.storageTotalBytes)
        XCTAssertNil(info.storageFreeBytes)
        XCTAssertNotNil(info.cpuCores)
    }

    func testTheCoreAsksTheDeviceProviderItWasGiven() throws {
        let spy = Spy(ProcessInfoDeviceInfoProvider(storageDirectory: directory))
        let modicum = try Modicum.start(
            config: .init(storageDirectory: directory, appID: "dev.modicum.test", deviceInfo: spy))
        try modicum.flush()  // the worker reads the device once its storage is open
        let seen = spy.handedOut.withLock { $0 }
        XCTAssertFalse(seen.isEmpty, "the core never asked for device info")
        XCTAssertGreaterThan(try XCTUnwrap(seen.first?.cpuCores), 0)
    }

    func testConnectivityChangesAreRecordedOnceAndSteerUploads() throws {
        let tracker = ConnectivityTracker()
        let modicum = try Modicum.start(
            config: .init(storageDirectory: directory, appID: "dev.modicum.test", network: tracker))
        try modicum.setConsent(.diagnostics, granted: true)
        XCTAssertFalse(modicum.currentConditions.connected, "before any reading the network is unknown")

        let wifi = NetworkState(connected: true, kind: "wifi", metered: false, carrier: nil, ip: nil)
        let cellular = NetworkState(connected: true, kind: "cellular", metered: true, carrier: nil, ip: nil)
        tracker.update(wifi)
        tracker.update(wifi)  // the same path again: nothing new to record
        tracker.update(cellular)

        XCTAssertEqual(modicum.currentConditions, UploadConditions(connected: true, metered: true, batteryLow: false))
        let json = try modicum.heldEventsJSON()
        let events = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let kinds = events.filter { $0["name"] as? String == "connectivity" }
            .compactMap { ($0["properties"] as? [String: Any])?["type"] as? String }
        XCTAssertEqual(kinds, ["wifi", "cellular"], json)
    }
}
