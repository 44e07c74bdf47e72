//! One deterministic mobile app session: 30 simulated minutes of screen views, taps, HTTP
//! requests, free text (searches, support messages, log lines) and the odd error, on a phone
//! sold in mainland China. Some free text and some URLs carry planted personal data
//! ([`Planted`]); everything else is ordinary telemetry.

use crate::pii::Planted;

/// How long the session lasts, in simulated milliseconds.
pub const SESSION_MS: u64 = 30 * 60 * 1000;

/// The whole session, built from one seed.
#[derive(Debug, Clone)]
pub struct Session {
    pub steps: Vec<Step>,
    pub planted: Planted,
    pub device: Device,
}

/// One event, at its offset from the start of the session.
#[derive(Debug, Clone)]
pub struct Step {
    pub at_ms: u64,
    pub event: Ev,
}

/// An event as the app knows it, before any SDK's types.
#[derive(Debug, Clone)]
pub enum Ev {
    ScreenView {
        screen: &'static str,
        load_ms: i64,
        first: bool,
    },
    Tap {
        screen: &'static str,
        target: &'static str,
        position: i64,
    },
    Http {
        method: &'static str,
        /// The full URL the app requested: IDs in the path, sometimes a query string.
        url: String,
        status: u16,
        duration_ms: u64,
        bytes_sent: u64,
        bytes_received: u64,
    },
    /// Free text: `kind` is "search", "feedback" or "log".
    Text { kind: &'static str, text: String },
    Error {
        kind: &'static str,
        message: String,
        stack: &'static str,
    },
}

/// A property value, as every SDK's adapter reads it.
#[derive(Debug, Clone, Copy)]
pub enum Prop<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
}

impl Ev {
    /// The event's name, the same in every SDK.
    pub fn name(&self) -> &'static str {
        match self {
            Ev::ScreenView { .. } => "screen_view",
            Ev::Tap { .. } => "tap",
            Ev::Http { .. } => "http_request",
            Ev::Text { kind, .. } => kind,
            Ev::Error { .. } => "error",
        }
    }

    /// Whether the event is diagnostics (HTTP, logs, errors) rather than product analytics.
    pub fn is_diagnostics(&self) -> bool {
        matches!(
            self,
            Ev::Http { .. } | Ev::Error { .. } | Ev::Text { kind: "log", .. }
        )
    }

    /// The event's properties, the same keys in every SDK.
    pub fn props(&self) -> Vec<(&'static str, Prop<'_>)> {
        let int = |v: u64| Prop::Int(i64::try_from(v).unwrap_or(i64::MAX));
        match self {
            Ev::ScreenView {
                screen,
                load_ms,
                first,
            } => vec![
                ("screen", Prop::Str(screen)),
                ("load_ms", Prop::Int(*load_ms)),
                ("first", Prop::Bool(*first)),
            ],
            Ev::Tap {
                screen,
                target,
                position,
            } => vec![
                ("screen", Prop::Str(screen)),
                ("target", Prop::Str(target)),
                ("position", Prop::Int(*position)),
            ],
            Ev::Http {
                method,
                url,
                status,
                duration_ms,
                bytes_sent,
                bytes_received,
            } => vec![
                ("method", Prop::Str(method)),
                ("url", Prop::Str(url)),
                ("status", Prop::Int(i64::from(*status))),
                ("duration_ms", int(*duration_ms)),
                ("bytes_sent", int(*bytes_sent)),
                ("bytes_received", int(*bytes_received)),
            ],
            Ev::Text { text, .. } => vec![("text", Prop::Str(text))],
            Ev::Error {
                kind,
                message,
                stack,
            } => vec![
                ("kind", Prop::Str(kind)),
                ("message", Prop::Str(message)),
                ("stack", Prop::Str(stack)),
            ],
        }
    }
}

/// The device context every SDK attaches in its own way.
#[derive(Debug, Clone)]
pub struct Device {
    pub brand: &'static str,
    pub manufacturer: &'static str,
    pub model: &'static str,
    pub os_name: &'static str,
    pub os_version: &'static str,
    pub app_id: &'static str,
    pub app_version: &'static str,
    pub app_build: &'static str,
    pub locale: &'static str,
    pub time_zone: &'static str,
    pub cpu_arch: &'static str,
    pub ram_bytes: u64,
    pub storage_bytes: u64,
    pub screen_width: u32,
    pub screen_height: u32,
}

const DEVICE: Device = Device {
    brand: "Xiaomi",
    manufacturer: "Xiaomi",
    model: "23127PN0CC",
    os_name: "Android",
    os_version: "14",
    app_id: "com.example.shop",
    app_version: "4.12.0",
    app_build: "41200",
    locale: "zh-CN",
    time_zone: "Asia/Shanghai",
    cpu_arch: "arm64-v8a",
    ram_bytes: 12 << 30,
    storage_bytes: 256 << 30,
    screen_width: 1200,
    screen_height: 2670,
};

const SCREENS: [&str; 9] = [
    "home", "search", "product", "cart", "checkout", "orders", "profile", "support", "settings",
];
const TARGETS: [&str; 8] = [
    "add_to_cart",
    "buy_now",
    "back",
    "filter",
    "share",
    "favorite",
    "coupon",
    "menu",
];
const SEARCHES: [&str; 8] = [
    "蓝牙耳机",
    "running shoes 42",
    "小米 充电器 67W",
    "保温杯",
    "机械键盘 红轴",
    "儿童 雨衣",
    "iPhone 15 手机壳",
    "空气炸锅",
];
const STACK: &str = concat!(
    "at com.example.shop.ui.CheckoutFragment.onSubmit(CheckoutFragment.kt:212)\n",
    "at com.example.shop.data.OrderRepository$place$1.invokeSuspend(OrderRepository.kt:88)\n",
    "at kotlin.coroutines.jvm.internal.BaseContinuationImpl.resumeWith(ContinuationImpl.kt:33)\n",
    "at android.os.Handler.handleCallback(Handler.java:959)\n",
    "at android.os.Looper.loop(Looper.java:317)"
);

impl Session {
    /// The session for `seed`: the same events, times and planted values on every run.
    pub fn generate(seed: u64) -> Session {
        let mut rng = Rng::new(seed);
        let planted = Planted::generate(&mut rng);
        let mut gen = Generator {
            rng,
            pii: PiiCycle::new(&planted),
            steps: Vec::new(),
        };
        gen.session();
        let mut steps = gen.steps;
        // HTTP requests are scheduled after the action that caused them and may land after the
        // next one; the SDKs see events in time order.
        steps.sort_by_key(|s| s.at_ms);
        Session {
            steps,
            planted,
            device: DEVICE,
        }
    }

    /// Events of each kind, for the report's header.
    pub fn summary(&self) -> String {
        let count = |name: &str| self.steps.iter().filter(|s| s.event.name() == name).count();
        format!(
            "{} events: {} screen views, {} taps, {} HTTP requests, {} searches, {} support \
             messages, {} log lines, {} errors",
            self.steps.len(),
            count("screen_view"),
            count("tap"),
            count("http_request"),
            count("search"),
            count("feedback"),
            count("log"),
            count("error"),
        )
    }
}

struct Generator<'a> {
    rng: Rng,
    pii: PiiCycle<'a>,
    steps: Vec<Step>,
}

impl Generator<'_> {
    fn push(&mut self, at_ms: u64, event: Ev) {
        if at_ms < SESSION_MS {
            self.steps.push(Step { at_ms, event });
        }
    }

    /// Screen visits until the session ends: a screen view and the requests it makes, then
    /// a burst of actions seconds apart, then navigation to the next screen.
    fn session(&mut self) {
        let mut t = 400;
        let mut seen = Vec::new();
        while t < SESSION_MS {
            let screen = self.rng.pick(&SCREENS);
            let first = !seen.contains(&screen);
            seen.push(screen);
            let load_ms = 80 + self.rng.below_i64(900);
            self.push(
                t,
                Ev::ScreenView {
                    screen,
                    load_ms,
                    first,
                },
            );
            let n = 1 + self.rng.below(4);
            self.requests(t, n, screen);
            for _ in 0..4 + self.rng.below(13) {
                t += self.gap();
                self.action(t, screen);
            }
            t += 500 + self.rng.below(2_500);
        }
    }

    /// Time between actions: mostly a second or so, sometimes a pause to read.
    fn gap(&mut self) -> u64 {
        if self.rng.below(10) == 0 {
            3_000 + self.rng.below(7_000)
        } else {
            150 + self.rng.below(1_650)
        }
    }

    fn action(&mut self, t: u64, screen: &'static str) {
        let roll = self.rng.below(1000);
        match roll {
            0..=9 => {
                let event = self.error();
                self.push(t, event);
            }
            10..=119 => {
                let event = self.text(screen);
                self.push(t, event);
            }
            _ => {
                let target = self.rng.pick(&TARGETS);
                let position = self.rng.below_i64(24);
                self.push(
                    t,
                    Ev::Tap {
                        screen,
                        target,
                        position,
                    },
                );
                if self.rng.below(10) < 7 {
                    let n = 1 + self.rng.below(3);
                    self.requests(t, n, screen);
                }
            }
        }
    }

    /// `n` requests shortly after `t`; one in twelve carries a contact detail in its query.
    fn requests(&mut self, t: u64, n: u64, screen: &str) {
        for _ in 0..n {
            let at = t + 50 + self.rng.below(900);
            let id = 10_000_000 + self.rng.below(90_000_000);
            let (method, url) = match self.rng.below(12) {
                0 => {
                    let who = self.pii.next_contact();
                    (
                        "GET",
                        format!(
                            "https://api.example.cn/v2/users/lookup?contact={who}&src={screen}"
                        ),
                    )
                }
                1..=4 => ("GET", format!("https://api.example.cn/v2/products/{id}")),
                5..=6 => (
                    "GET",
                    format!("https://img.example-cdn.cn/p/{id}/800x800.webp"),
                ),
                7..=8 => ("POST", "https://api.example.cn/v2/cart/items".to_owned()),
                9 => (
                    "GET",
                    format!("https://api.example.cn/v2/orders/{id}?page=1"),
                ),
                _ => (
                    "POST",
                    "https://log.example.cn/v1/recommendations".to_owned(),
                ),
            };
            let status = self
                .rng
                .pick(&[200, 200, 200, 200, 200, 200, 200, 304, 404, 500]);
            let event = Ev::Http {
                method,
                url,
                status,
                duration_ms: 40 + self.rng.below(1_400),
                bytes_sent: if method == "POST" {
                    200 + self.rng.below(3_000)
                } else {
                    0
                },
                bytes_received: 300 + self.rng.below(120_000),
            };
            self.push(at, event);
        }
    }

    fn text(&mut self, screen: &str) -> Ev {
        match self.rng.below(10) {
            0..=3 => {
                // A search; one in four is a pasted phone number or email.
                let text = if self.rng.below(4) == 0 {
                    format!("{} 订单查询", self.pii.next_contact())
                } else {
                    self.rng.pick(&SEARCHES).to_owned()
                };
                Ev::Text {
                    kind: "search",
                    text,
                }
            }
            4..=6 => {
                // A support message: the place users type their details.
                let text = match self.rng.below(3) {
                    0 => format!(
                        "您好，我的快递三天没更新了，请联系我 {}，谢谢",
                        self.pii.next_phone()
                    ),
                    1 => format!(
                        "实名认证一直失败，身份证号 {}，请人工处理",
                        self.pii.next_id()
                    ),
                    _ => format!("发票请发到 {} ，抬头个人", self.pii.next_email()),
                };
                Ev::Text {
                    kind: "feedback",
                    text,
                }
            }
            _ => {
                // A log line the app writes; some name the signed-in user.
                let text = match self.rng.below(5) {
                    0 => format!(
                        "login ok user={} method=sms screen={screen}",
                        self.pii.next_email()
                    ),
                    1 => format!("otp sent to +86{} ttl=300s", self.pii.next_phone()),
                    2 => format!("kyc check id_no={} result=mismatch", self.pii.next_id()),
                    _ => format!(
                        "image cache trimmed to {} KiB on {screen}",
                        1024 + self.rng.below(8192)
                    ),
                };
                Ev::Text { kind: "log", text }
            }
        }
    }

    fn error(&mut self) -> Ev {
        let message = if self.rng.below(2) == 0 {
            format!(
                "IdentityVerificationException: id {} rejected by gateway (code 4031)",
                self.pii.next_id()
            )
        } else {
            "IllegalStateException: Fragment CheckoutFragment not attached to a context".to_owned()
        };
        Ev::Error {
            kind: "java.lang.IllegalStateException",
            message,
            stack: STACK,
        }
    }
}

/// Hands out planted values in turn, so every one is used before any repeats.
struct PiiCycle<'a> {
    planted: &'a Planted,
    phones: usize,
    ids: usize,
    emails: usize,
    contact: usize,
}

impl<'a> PiiCycle<'a> {
    fn new(planted: &'a Planted) -> Self {
        PiiCycle {
            planted,
            phones: 0,
            ids: 0,
            emails: 0,
            contact: 0,
        }
    }

    fn next_phone(&mut self) -> String {
        self.phones += 1;
        self.planted.phones[(self.phones - 1) % self.planted.phones.len()].clone()
    }

    fn next_id(&mut self) -> String {
        self.ids += 1;
        self.planted.ids[(self.ids - 1) % self.planted.ids.len()].clone()
    }

    fn next_email(&mut self) -> String {
        self.emails += 1;
        self.planted.emails[(self.emails - 1) % self.planted.emails.len()].clone()
    }

    /// A phone number or an email, alternately.
    fn next_contact(&mut self) -> String {
        self.contact += 1;
        if self.contact.is_multiple_of(2) {
            self.next_phone()
        } else {
            self.next_email()
        }
    }
}

/// A small xorshift: the session needs variety and reproducibility, not cryptography.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn below_i64(&mut self, n: u64) -> i64 {
        i64::try_from(self.below(n)).unwrap_or(0)
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_is_deterministic_and_plants_every_value() {
        let a = Session::generate(42);
        let b = Session::generate(42);
        assert_eq!(a.steps.len(), b.steps.len());
        assert!((2_000..=5_000).contains(&a.steps.len()), "{}", a.summary());
        assert!(a.steps.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        let texts: Vec<Vec<u8>> = a
            .steps
            .iter()
            .flat_map(|s| s.event.props())
            .filter_map(|(_, p)| match p {
                Prop::Str(s) => Some(s.as_bytes().to_vec()),
                _ => None,
            })
            .collect();
        let n = crate::pii::PER_FAMILY;
        assert_eq!(crate::pii::found(&a.planted, &texts), [n, n, n]);
    }
}
