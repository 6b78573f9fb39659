//! A real SMTP server for the mail tests: it speaks SMTP on a TCP port (the protocol from the
//! `mailin` crate: greeting, EHLO, MAIL, RCPT, DATA with dot-stuffing, QUIT) and keeps every
//! message it accepts, so a test reads what a mailer really sent over the wire.
//!
//! Each server runs on threads of its own (independent of the tests' runtimes) until the
//! process ends. A test that needs the server down at first takes
//! [`SmtpServer::free_address`], configures it, and starts the server there later.

use std::io::{self, BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mailin::{Action, Handler, Response, SessionBuilder, response};

/// One message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope's sender and recipients (`MAIL FROM`, `RCPT TO`).
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (CRLF line ends).
    pub data: String,
}

impl ReceivedMail {
    /// The `Subject` header's value.
    pub fn subject(&self) -> Option<&str> {
        self.headers()
            .lines()
            .find_map(|line| line.strip_prefix("Subject: "))
            .map(str::trim)
    }

    fn headers(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map_or(self.data.as_str(), |(headers, _)| headers)
    }

    /// The body (everything after the headers), decoded when it was sent quoted-printable
    /// (which mailers choose for lines longer than 76 characters).
    pub fn body(&self) -> String {
        let raw = self
            .data
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body);
        let quoted = self
            .headers()
            .lines()
            .any(|line| line.eq_ignore_ascii_case("Content-Transfer-Encoding: quoted-printable"));
        if quoted {
            decode_quoted_printable(raw)
        } else {
            raw.to_owned()
        }
    }
}

/// Soft line breaks (`=` at a line's end) removed and `=XX` escapes turned into their bytes.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'=')
            .then(|| joined.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                at += 3;
            }
            None => {
                decoded.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

type Inbox = Arc<Mutex<Vec<ReceivedMail>>>;

/// A running SMTP server and what it received.
pub struct SmtpServer {
    addr: SocketAddr,
    inbox: Inbox,
}

impl SmtpServer {
    /// Starts a server on a free local port.
    pub fn start() -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts a server on `addr` (one from [`Self::free_address`], for a server that comes
    /// up after the mailer first tried it).
    pub fn start_on(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).expect("binds the SMTP server's address");
        let addr = listener.local_addr().expect("a bound address");
        let inbox = Inbox::default();
        let accepted = inbox.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let session = Session {
                    inbox: accepted.clone(),
                    current: None,
                };
                std::thread::spawn(move || {
                    // A client that hangs up mid-session only ends its own session.
                    let _ = serve(stream, session);
                });
            }
        });
        Self { addr, inbox }
    }

    /// A local address nothing listens on (yet).
    pub fn free_address() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("a bound address")
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `smtp_url` that reaches this server.
    pub fn url(&self) -> String {
        url_of(self.addr)
    }

    /// Every message accepted so far, in arrival order.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.inbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until at least `count` messages arrived; panics after `limit`.
    pub async fn wait_for(&self, count: usize, limit: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + limit;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} mails arrived within {limit:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The `smtp_url` of a server on `addr`.
pub fn url_of(addr: SocketAddr) -> String {
    format!("smtp://{addr}")
}

/// One SMTP session's handler: collects the message between DATA and its final dot.
#[derive(Clone)]
struct Session {
    inbox: Inbox,
    current: Option<ReceivedMail>,
}

impl Handler for Session {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(ReceivedMail {
            from: from.to_owned(),
            to: to.to_vec(),
            data: String::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(mail) = &mut self.current {
            mail.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(mail) = self.current.take() {
            self.inbox
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(mail);
        }
        response::OK
    }
}

fn serve(stream: TcpStream, handler: Session) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let remote = stream.peer_addr()?.ip();
    let mut session = SessionBuilder::new("testkit-smtp").build(remote, handler);
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    session.greeting().write_to(&mut writer)?;
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::NoReply => {}
            Action::Close => return response.write_to(&mut writer),
            Action::Reply | Action::UpgradeTls => response.write_to(&mut writer)?,
        }
    }
}
