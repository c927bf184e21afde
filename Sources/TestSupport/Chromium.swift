#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Debian's `chromedriver` as a child process on a free loopback port, driving headless Chromium with fake media
/// devices through the W3C WebDriver HTTP API. One driver serves several browsers (sessions).
///
/// Every browser gets a user-data directory of its own; `Browser.close()` ends its session and then kills, by pid,
/// any process still running with that directory on its command line, so a failed test leaves no Chromium behind.
public final class ChromeDriver: Sendable {
    public let port: Int
    let process: ChildProcess
    let directory: String

    /// Debian's paths (packages `chromium` and `chromium-driver`).
    public static let driverPath = "/usr/bin/chromedriver"
    public static let chromiumPath = "/usr/lib/chromium/chromium"

    /// Headless, no sandbox (tests run as root), fake camera and microphone granted without a prompt, loopback ICE
    /// candidates (else two local browsers never connect), media that plays without a user gesture, and timers
    /// that keep running in background pages on a loaded machine.
    public static let chromiumArguments = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection",
        "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--no-first-run", "--no-default-browser-check",
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows", "--window-size=1280,800",
    ]

    private init(port: Int, process: ChildProcess, directory: String) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: 5)
    }

    /// Whether the packages are installed (`make test-deps`).
    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: driverPath) && FileManager.default.isExecutableFile(atPath: chromiumPath)
    }

    /// Starts chromedriver and waits until its `/status` says it is ready.
    public static func start(timeout: Duration = .seconds(20)) async throws -> ChromeDriver {
        guard isInstalled else {
            throw TestSupportError("\(driverPath) or \(chromiumPath) is missing: install chromium and chromium-driver (make test-deps)")
        }
        let directory = makeTemporaryDirectory("sigctl-chromedriver")
        var lastError: Error?
        for _ in 0..<3 {
            let port = freeLoopbackPort()
            let process = try ChildProcess(
                executable: driverPath, arguments: ["--port=\(port)", "--allowed-ips=127.0.0.1"],
                standardOutput: .file(directory + "/chromedriver.log", append: true))
            let driver = ChromeDriver(port: port, process: process, directory: directory)
            do {
                try await eventually("chromedriver ready on port \(port)", timeout: timeout, interval: .milliseconds(50)) {
                    if let code = process.exited { throw TestSupportError("chromedriver exited with \(code)") }
                    let status = try? await driver.request("GET", "/status", timeout: .seconds(2))
                    return ((status as? [String: Any])?["ready"] as? Bool) == true
                }
                return driver
            } catch {
                lastError = error
                process.signal(SIGKILL)
                await process.exit(timeout: .seconds(5))
            }
        }
        throw lastError!
    }

    /// Opens a new browser window (a WebDriver session). `name` labels its logs.
    public func newBrowser(name: String) async throws -> Browser {
        let profile = makeTemporaryDirectory("sigctl-chromium-\(name)")
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": Self.chromiumPath,
                        "args": Self.chromiumArguments + ["--user-data-dir=\(profile)"],
                    ],
                    "goog:loggingPrefs": ["browser": "ALL"],
                ] as [String: Any]
            ]
        ]
        let value = try await request("POST", "/session", capabilities, timeout: .seconds(60))
        guard let session = (value as? [String: Any])?["sessionId"] as? String else {
            throw TestSupportError("chromedriver: no session id in \(String(describing: value))")
        }
        return Browser(driver: self, session: session, name: name, profile: profile)
    }

    /// Ends the driver (by pid) once its browsers are closed.
    public func stop() async {
        await process.stop(grace: .seconds(3))
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One WebDriver command: its JSON `value`, or the WebDriver error as a thrown `TestSupportError`.
    func request(_ method: String, _ path: String, _ body: Any? = nil, timeout: Duration = .seconds(30)) async throws -> Any? {
        let payload = try body.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) }
        let response = try await httpRequest(method, port: port, path: path, json: payload, timeout: timeout)
        let status = response.status
        let data = Data(response.body.utf8)
        let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        let value = (json as? [String: Any])?["value"]
        guard (200..<300).contains(status) else {
            let error = value as? [String: Any]
            throw TestSupportError(
                "WebDriver \(method) \(path): \(status) \(error?["error"] ?? "") \(error?["message"] ?? String(decoding: data.prefix(500), as: UTF8.self))")
        }
        return value is NSNull ? nil : value
    }
}

/// One headless Chromium window.
public final class Browser: Sendable {
    public let name: String
    let driver: ChromeDriver
    let session: String
    let profile: String

    init(driver: ChromeDriver, session: String, name: String, profile: String) {
        self.driver = driver
        self.session = session
        self.name = name
        self.profile = profile
    }

    public func navigate(to url: String) async throws {
        _ = try await driver.request("POST", "/session/\(session)/url", ["url": url], timeout: .seconds(30))
    }

    /// Runs `script` (a function body; `arguments[i]` are the arguments) and returns its JSON-decoded result.
    /// A returned promise is awaited (WebDriver's Execute Script).
    @discardableResult
    public func execute(_ script: String, _ arguments: [Any] = [], timeout: Duration = .seconds(30)) async throws -> Any? {
        try await driver.request("POST", "/session/\(session)/execute/sync", ["script": script, "args": arguments], timeout: timeout)
    }

    /// Like `execute`, decoding the result as `T`.
    public func execute<T: Decodable>(_ script: String, _ arguments: [Any] = [], as type: T.Type) async throws -> T {
        let value = try await execute(script, arguments)
        let data = try JSONSerialization.data(withJSONObject: value ?? NSNull(), options: [.fragmentsAllowed])
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// A PNG of the window.
    public func screenshot() async throws -> Data {
        guard let text = try await driver.request("GET", "/session/\(session)/screenshot") as? String,
              let data = Data(base64Encoded: text) else {
            throw TestSupportError("\(name): no screenshot")
        }
        return data
    }

    /// What the page wrote to the console so far (chromedriver's log endpoint), one line per entry; empty when the
    /// driver does not offer it.
    public func consoleLog() async -> [String] {
        guard let entries = try? await driver.request("POST", "/session/\(session)/se/log", ["type": "browser"], timeout: .seconds(10))
                as? [[String: Any]] else { return [] }
        return entries.map { "\($0["level"] ?? "") \($0["message"] ?? "")" }
    }

    /// Ends the session and makes sure no process of this browser is left.
    public func close() async {
        _ = try? await driver.request("DELETE", "/session/\(session)", timeout: .seconds(20))
        let leftovers = processes(withArgument: "--user-data-dir=\(profile)")
        for pid in leftovers { kill(pid, SIGKILL) }
        // Its profile (a few MB) goes too, once no process of it is left to write there.
        try? await eventually("\(name)'s processes gone", timeout: .seconds(5)) {
            processes(withArgument: "--user-data-dir=\(self.profile)").isEmpty
        }
        try? FileManager.default.removeItem(atPath: profile)
    }
}

/// The pids of processes whose command line contains `argument` exactly (one of its NUL-separated words).
func processes(withArgument argument: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry), pid != getpid(),
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return words.contains(argument) ? pid : nil
    }
}
