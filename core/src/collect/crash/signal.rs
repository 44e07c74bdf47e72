//! The native crash handler. Everything that runs inside the handler is async-signal-safe:
//! no allocation, no locks, no formatting machinery; only `write`, `fsync`, `clock_gettime`,
//! `sigaction` and `raise`, into a file opened in advance.

use std::ffi::c_void;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};

use libc::{c_int, siginfo_t};

/// The signals that end a process, with their names.
pub const SIGNALS: [(c_int, &str); 6] = [
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGABRT, "SIGABRT"),
    (libc::SIGTRAP, "SIGTRAP"),
];

/// First line of every record: what the reader checks before trusting the rest.
pub(super) const MAGIC: &str = "modicum-native-crash v1";
const MAX_FRAMES: usize = 48;
const ALT_STACK: usize = 64 * 1024;

static FD: AtomicI32 = AtomicI32::new(-1);
static HANDLING: AtomicBool = AtomicBool::new(false);
static PREVIOUS: OnceLock<[libc::sigaction; SIGNALS.len()]> = OnceLock::new();
static INSTALL: Mutex<()> = Mutex::new(());

/// The record file of this process in `dir`.
pub fn record_path(dir: &Path) -> PathBuf {
    dir.join(format!("native-{}.crash", std::process::id()))
}

/// Opens this process's record file in `dir` and, once per process, installs the handlers.
/// An alternate signal stack is set up on the calling thread only if it has none: Android's
/// runtime and Rust's standard library install their own, which must not be replaced.
pub fn install(dir: &Path) -> io::Result<PathBuf> {
    let _once = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    std::fs::create_dir_all(dir)?;
    let path = record_path(dir);
    // A record under this pid is an earlier process's that had the same pid (after a reboot):
    // kept under another name for the next start to report, not truncated.
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
        let aside = dir.join(format!(
            "native-{}-{}.crash",
            std::process::id(),
            crate::clock::now_ms()
        ));
        std::fs::rename(&path, aside)?;
    }
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::other("a NUL in the storage path"))?;
    // SAFETY: a NUL-terminated path; the descriptor is kept for the life of the process.
    let fd = unsafe {
        libc::open(
            c_path.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_APPEND | libc::O_CLOEXEC,
            0o600,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let old = FD.swap(fd, Ordering::SeqCst);
    if old >= 0 {
        // SAFETY: a descriptor this module opened and no longer uses.
        unsafe { libc::close(old) };
    }
    if PREVIOUS.get().is_none() {
        warm_up_backtrace();
        ensure_alt_stack()?;
        // SAFETY: sigaction with a zeroed struct naming our handler; the previous actions are
        // saved before any of ours can run, since the handler reads them.
        let mut previous: [libc::sigaction; SIGNALS.len()] = unsafe { std::mem::zeroed() };
        for (slot, (signal, _)) in previous.iter_mut().zip(SIGNALS) {
            unsafe { libc::sigaction(signal, std::ptr::null(), slot) };
        }
        let _ = PREVIOUS.set(previous);
        for (signal, _) in SIGNALS {
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = handle as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            unsafe {
                libc::sigemptyset(&mut action.sa_mask);
                if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
    }
    Ok(path)
}

fn ensure_alt_stack() -> io::Result<()> {
    // SAFETY: querying, then (only if disabled) installing a stack that is never freed.
    unsafe {
        let mut current: libc::stack_t = std::mem::zeroed();
        if libc::sigaltstack(std::ptr::null(), &mut current) != 0 {
            return Err(io::Error::last_os_error());
        }
        if current.ss_flags & libc::SS_DISABLE == 0 {
            return Ok(());
        }
        let stack = Box::leak(vec![0u8; ALT_STACK].into_boxed_slice());
        let ours = libc::stack_t {
            ss_sp: stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: ALT_STACK,
        };
        if libc::sigaltstack(&ours, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    fn backtrace(buffer: *mut *mut c_void, size: c_int) -> c_int;
}

/// glibc's unwinder loads itself on first use, which is not safe in a handler: use it once now.
fn warm_up_backtrace() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut frames = [std::ptr::null_mut(); 4];
        // Four fits a c_int; were it not to, asking for no frames is still safe.
        let size = c_int::try_from(frames.len()).unwrap_or(0);
        // SAFETY: a buffer of the size passed.
        unsafe { backtrace(frames.as_mut_ptr(), size) };
    }
}

extern "C" fn handle(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
    let entered = monotonic_ns();
    if !HANDLING.swap(true, Ordering::SeqCst) {
        let fd = FD.load(Ordering::SeqCst);
        if fd >= 0 {
            // SAFETY: the kernel passes valid info and context to an SA_SIGINFO handler.
            unsafe { write_record(fd, signal, info, context, entered) };
        }
    }
    // SAFETY: chaining with the arguments we were given.
    unsafe { chain(signal, info, context) };
}

/// A fixed buffer with the few formatting steps a record needs.
struct Record {
    buf: [u8; 2048],
    len: usize,
}

/// The handler's buffers live here, not on its stack: alternate signal stacks are small (8 KiB
/// for Rust's own threads), and a handler that overflows one dies before writing anything.
struct Scratch(std::cell::UnsafeCell<(Record, [*mut c_void; MAX_FRAMES])>);

// SAFETY: only the one handler invocation that wins `HANDLING` ever touches it.
unsafe impl Sync for Scratch {}

static SCRATCH: Scratch = Scratch(std::cell::UnsafeCell::new((
    Record {
        buf: [0; 2048],
        len: 0,
    },
    [std::ptr::null_mut(); MAX_FRAMES],
)));

impl Record {
    fn text(&mut self, s: &str) {
        for &b in s.as_bytes() {
            if self.len < self.buf.len() {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
    }

    fn decimal(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.text(std::str::from_utf8(&[d]).unwrap_or("?"));
        }
    }

    fn hex(&mut self, n: usize) {
        self.text("0x");
        let mut started = false;
        for shift in (0..usize::BITS / 4).rev() {
            let nibble = (n >> (shift * 4)) & 0xf;
            if nibble != 0 || started || shift == 0 {
                started = true;
                self.text(&"0123456789abcdef"[nibble..nibble + 1]);
            }
        }
    }

    fn line(&mut self, key: &str) {
        self.text("\n");
        self.text(key);
        self.text("=");
    }
}

unsafe fn write_record(
    fd: c_int,
    signal: c_int,
    info: *mut siginfo_t,
    context: *mut c_void,
    entered_ns: u64,
) {
    let (r, frames) = &mut *SCRATCH.0.get();
    r.len = 0;
    r.text(MAGIC);
    r.line("signal");
    // Signal numbers are positive: the absolute value is the number.
    r.decimal(u64::from(signal.unsigned_abs()));
    r.line("code");
    let code = (*info).si_code;
    if code < 0 {
        r.text("-");
    }
    r.decimal(u64::from(code.unsigned_abs()));
    r.line("addr");
    r.hex((*info).si_addr() as usize);
    r.line("pc");
    r.hex(program_counter(context));
    r.line("time_ms");
    r.decimal(realtime_ms());
    r.line("entered_ns");
    r.decimal(entered_ns);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // MAX_FRAMES fits a c_int; were it not to, asking for no frames is still safe.
        let size = c_int::try_from(frames.len()).unwrap_or(0);
        // A negative count (an error) is no frames.
        let n = usize::try_from(backtrace(frames.as_mut_ptr(), size)).unwrap_or(0);
        for frame in &frames[..n] {
            r.line("frame");
            r.hex(*frame as usize);
        }
    }
    r.text("\n");
    libc::write(fd, r.buf.as_ptr().cast(), r.len);
    libc::fsync(fd);
    // When the record became durable, for the benchmark; not synced itself.
    r.len = 0;
    r.text("synced_ns=");
    r.decimal(monotonic_ns());
    r.text("\n");
    libc::write(fd, r.buf.as_ptr().cast(), r.len);
}

/// Runs the handler that was installed before ours, or lets the default action happen.
unsafe fn chain(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
    let Some(previous) = PREVIOUS.get().and_then(|all| {
        SIGNALS
            .iter()
            .position(|(s, _)| *s == signal)
            .map(|i| &all[i])
    }) else {
        return;
    };
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        libc::sigaction(signal, previous, std::ptr::null_mut());
        // A fault happens again when the handler returns; a signal that was sent (abort,
        // raise, kill) is sent again, and delivered once the handler returns.
        if (*info).si_code <= 0 {
            libc::raise(signal);
        }
        return;
    }
    if previous.sa_flags & libc::SA_SIGINFO != 0 {
        let f: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) = std::mem::transmute(handler);
        f(signal, info, context);
    } else {
        let f: extern "C" fn(c_int) = std::mem::transmute(handler);
        f(signal);
    }
}

#[allow(unused_variables)]
unsafe fn program_counter(context: *mut c_void) -> usize {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        let uc = context as *const libc::ucontext_t;
        let rip = (*uc).uc_mcontext.gregs[libc::REG_RIP as usize];
        // A register's bits, not a signed number: reinterpreted, never truncated (64 bits both).
        return usize::from_ne_bytes(rip.to_ne_bytes());
    }
    #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
    {
        let uc = context as *const libc::ucontext_t;
        // 64 bits on aarch64, as is usize: the conversion never fails.
        return usize::try_from((*uc).uc_mcontext.pc).unwrap_or(0);
    }
    #[allow(unreachable_code)]
    0
}

fn monotonic_ns() -> u64 {
    clock(libc::CLOCK_MONOTONIC)
}

fn realtime_ms() -> u64 {
    clock(libc::CLOCK_REALTIME) / 1_000_000
}

fn clock(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime is async-signal-safe and writes the struct passed.
    unsafe { libc::clock_gettime(id, &mut ts) };
    // Neither field is negative for these clocks after 1970; a clock before then reads as 0,
    // and the sum saturates rather than overflow (a panic here would be in a signal handler).
    let seconds = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    seconds.saturating_mul(1_000_000_000).saturating_add(nanos)
}
