import Foundation
import TestSupport

/// Drives a program through a pseudo-terminal, the way a person at a keyboard would, with a small Python 3 script
/// (standard library only: `pty.openpty`, `os.fork`, `select`). The dialog is a list of steps run in order:
/// `type` types bytes into the line editor, `send` writes bytes at once, `expect` waits until text appears in the
/// output after the previous match (escape sequences, bells and carriage returns removed), `exit` waits for the
/// program to end. The first failing step ends the dialog.
///
/// libedit draws its prompt a moment before it puts the terminal in raw mode; a key that arrives in between goes through
/// the kernel's canonical line discipline (a Ctrl-D there is an end-of-file that never reaches libedit). People do not
/// type within that fraction of a millisecond, so `type` waits, as a person would, until the terminal is in raw mode.
/// `send` is for what is not read by the line editor: Ctrl-C to a running command, an answer to a plain prompt.
struct TerminalDialog {
    enum Step: Encodable {
        case type(String)
        case send(String)
        case expect(String, timeout: Double = 15)
        case exit(timeout: Double = 15)

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            switch self {
            case .type(let text):
                try c.encode("type", forKey: .op)
                try c.encode(text, forKey: .text)
            case .send(let text):
                try c.encode("send", forKey: .op)
                try c.encode(text, forKey: .text)
            case .expect(let text, let timeout):
                try c.encode("expect", forKey: .op)
                try c.encode(text, forKey: .text)
                try c.encode(timeout, forKey: .timeout)
            case .exit(let timeout):
                try c.encode("exit", forKey: .op)
                try c.encode(timeout, forKey: .timeout)
            }
        }

        private enum Key: String, CodingKey { case op, text, timeout }
    }

    struct Outcome: Decodable, CustomStringConvertible {
        /// Everything the program wrote to the terminal, escape sequences removed.
        var transcript: String
        /// The raw bytes, as text.
        var raw: String
        /// How many steps succeeded.
        var completed: Int
        /// Why the dialog stopped early, if it did.
        var failure: String?
        /// The exit status once it ended (128 + signal when killed), nil if it was still running at the end.
        var exit: Int?

        var description: String {
            "completed \(completed) steps; failure: \(failure ?? "none"); exit: \(exit.map(String.init) ?? "still running")\n"
                + "--- transcript ---\n\(transcript)\n------------------"
        }
    }

    var argv: [String]
    var environment: [String: String]
    var workingDirectory: String
    var steps: [Step]

    private struct Spec: Encodable {
        var argv: [String]
        var env: [String: String]
        var cwd: String
        var steps: [Step]
    }

    /// Runs the dialog; whatever happens, the program is gone when this returns.
    func run(timeout: Duration = .seconds(90)) async throws -> Outcome {
        let directory = makeTemporaryDirectory("sigctl-pty")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = directory + "/drive.py", specFile = directory + "/spec.json"
        try Data(Self.driver.utf8).write(to: URL(fileURLWithPath: script))
        try JSONEncoder().encode(Spec(argv: argv, env: environment, cwd: workingDirectory, steps: steps))
            .write(to: URL(fileURLWithPath: specFile))
        let python = try CapturedProcess(executable: "python3", arguments: [script, specFile], workingDirectory: directory)
        let result = await python.finish(timeout: timeout)
        guard result.exitCode == 0, let outcome = try? JSONDecoder().decode(Outcome.self, from: Data(result.stdout.utf8)) else {
            throw TestSupportError("the terminal driver failed: \(result)")
        }
        return outcome
    }

    static let driver = #"""
    import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

    spec = json.load(open(sys.argv[1]))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.chdir(spec["cwd"])
            for s in (signal.SIGINT, signal.SIGPIPE, signal.SIGTERM, signal.SIGQUIT):
                signal.signal(s, signal.SIG_DFL)
            os.execve(spec["argv"][0], spec["argv"], spec["env"])
        finally:
            os._exit(127)
    os.close(slave)

    raw = bytearray()
    ended = False
    status = None
    ansi = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]|[\x07\r]")

    def clean():
        return ansi.sub("", raw.decode("utf-8", "replace"))

    def pump(seconds):
        global ended
        if ended:
            time.sleep(seconds)
            return
        ready, _, _ = select.select([master], [], [], seconds)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if data:
                raw.extend(data)
            else:
                ended = True

    def reap(block_seconds):
        global status
        deadline = time.time() + block_seconds
        while status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                status = os.waitstatus_to_exitcode(code)
                if status < 0:
                    status = 128 - status
                break
            if time.time() >= deadline:
                break
            pump(0.05)

    mark = 0
    completed = 0
    failure = None
    for step in spec["steps"]:
        op = step["op"]
        if op == "type":
            # A bound for a line editor that never starts, not a pace: a stalled machine may take seconds to get there.
            deadline = time.time() + 30
            while termios.tcgetattr(master)[3] & termios.ICANON and time.time() < deadline and not ended:
                pump(0.001)
            if termios.tcgetattr(master)[3] & termios.ICANON:
                failure = "step %d: the terminal never left canonical mode for the line editor" % completed
                break
            os.write(master, step["text"].encode())
        elif op == "send":
            os.write(master, step["text"].encode())
        elif op == "expect":
            deadline = time.time() + step["timeout"]
            found = -1
            while True:
                found = clean().find(step["text"], mark)
                if found >= 0 or time.time() >= deadline or (ended and status is not None):
                    break
                pump(0.05)
                if ended:
                    reap(0)
            if found < 0:
                failure = "step %d: no %r within %ss" % (completed, step["text"], step["timeout"])
                break
            mark = found + len(step["text"])
        elif op == "exit":
            deadline = time.time() + step["timeout"]
            while status is None and time.time() < deadline:
                pump(0.05)
                reap(0)
            if status is None:
                failure = "step %d: still running after %ss" % (completed, step["timeout"])
                break
        completed += 1

    if status is None:
        reap(0.2)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    else:
        for _ in range(10):
            pump(0.01)
    print(json.dumps({"transcript": clean(), "raw": raw.decode("utf-8", "replace"), "completed": completed,
                      "failure": failure, "exit": status}))
    """#
}
