//! Connections as they arrive, before hyper parses them: a control character in a header value
//! must get the one error shape, but hyper's parser refuses it with a bare 400 and no body before
//! any of our code runs.
//!
//! `Guarded` watches the bytes of each HTTP/1 request head and replaces such a character (C0
//! except tab, CR and LF; DEL) with the byte `0xFF`, which the parser accepts as opaque header
//! text and which valid UTF-8 never contains. The request middleware then refuses any request
//! with `0xFF` in a header value: `400 invalid_header`, in the error shape. Only the head is
//! touched: bodies are skipped by `Content-Length`; a chunked body, an upgrade, HTTP/2 or anything
//! not understood turns the guard off for the rest of the connection (hyper's own checks remain).

use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use std::io::Result as IoResult;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The byte a forbidden header character becomes (see the module notes).
pub const MARK: u8 = 0xFF;

/// Longest head the guard follows; longer ones are hyper's to refuse.
const MAX_HEAD: usize = 64 * 1024;

#[derive(Debug)]
enum State {
    /// Reading a request head (`line` is the current line, `head` what matters of the head so far).
    Head,
    /// Skipping this many body bytes.
    Body(u64),
    /// Not following this connection any more.
    Off,
}

/// Follows one connection's requests.
#[derive(Debug)]
pub struct Guard {
    state: State,
    line: Vec<u8>,
    head_len: usize,
    in_value: bool,
    content_length: Option<u64>,
    give_up: bool,
    first: bool,
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            state: State::Head,
            line: Vec::new(),
            head_len: 0,
            in_value: false,
            content_length: None,
            give_up: false,
            first: true,
        }
    }
}

impl Guard {
    /// Looks at (and marks, in place) the next bytes read from the client.
    pub fn feed(&mut self, bytes: &mut [u8]) {
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                State::Off => return,
                State::Body(n) => {
                    let take = (n as usize).min(bytes.len() - i);
                    i += take;
                    let left = n - take as u64;
                    self.state = if left == 0 {
                        State::Head
                    } else {
                        State::Body(left)
                    };
                }
                State::Head => {
                    let b = bytes[i];
                    i += 1;
                    self.head_len += 1;
                    if self.head_len > MAX_HEAD {
                        self.state = State::Off;
                        return;
                    }
                    if b == b'\n' {
                        self.end_line();
                        continue;
                    }
                    if self.in_value && (b < 0x20 && b != b'\t' && b != b'\r' || b == 0x7f) {
                        bytes[i - 1] = MARK;
                    }
                    if b == b':' && !self.first {
                        self.in_value = true;
                    }
                    if self.line.len() < 256 {
                        self.line.push(b);
                    }
                }
            }
        }
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        self.in_value = false;
        if self.first {
            // The request line. An empty line before it is allowed; HTTP/2 and anything that
            // does not look like HTTP/1 end the guard.
            if line.is_empty() {
                return;
            }
            self.first = false;
            if !line.ends_with(b"HTTP/1.1") && !line.ends_with(b"HTTP/1.0") {
                self.state = State::Off;
            }
            return;
        }
        if line.is_empty() {
            // End of the head: skip the body, or stop following.
            self.state = if self.give_up {
                State::Off
            } else {
                match self.content_length.take() {
                    Some(0) | None => State::Head,
                    Some(n) => State::Body(n),
                }
            };
            self.head_len = 0;
            self.first = true;
            self.give_up = false;
            return;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return;
        };
        let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_string();
        match name.as_str() {
            "content-length" => match (value.parse::<u64>(), self.content_length) {
                (Ok(n), None) => self.content_length = Some(n),
                (Ok(n), Some(m)) if n == m => {}
                _ => self.give_up = true,
            },
            "transfer-encoding" | "upgrade" => self.give_up = true,
            _ => {}
        }
    }
}

/// A connection whose request heads pass through a `Guard`.
pub struct Guarded<T> {
    inner: T,
    guard: Guard,
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<IoResult<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            this.guard.feed(&mut buf.filled_mut()[before..]);
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<IoResult<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<IoResult<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// An acceptor whose connections are `Guarded`.
pub struct GuardedAcceptor<A>(pub A);

impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
    type Io = Guarded<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> IoResult<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        let (io, local, remote, scheme) = self.0.accept().await?;
        Ok((
            Guarded {
                inner: io,
                guard: Guard::default(),
            },
            local,
            remote,
            scheme,
        ))
    }
}

/// Whether a header value carries the guard's mark.
pub fn marked(value: &[u8]) -> bool {
    value.contains(&MARK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        let mut g = Guard::default();
        let mut out = Vec::new();
        for c in chunks {
            let mut v = c.to_vec();
            g.feed(&mut v);
            out.extend(v);
        }
        out
    }

    #[test]
    fn marks_control_characters_in_header_values_only() {
        let out = run(&[b"GET / HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\x7f\r\n\r\n"]);
        assert_eq!(
            out,
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Note: a\xffb\xff\r\n\r\n".to_vec()
        );
        // Split anywhere, the same.
        let whole = b"GET / HTTP/1.1\r\nX-A: \x02\r\n\r\n";
        for cut in 0..whole.len() {
            let out = run(&[&whole[..cut], &whole[cut..]]);
            assert_eq!(
                out,
                b"GET / HTTP/1.1\r\nX-A: \xff\r\n\r\n".to_vec(),
                "{cut}"
            );
        }
    }

    #[test]
    fn bodies_are_skipped_and_the_next_head_followed() {
        let body = b"\x01\x02binary\x00";
        let mut req = b"POST /f HTTP/1.1\r\nContent-Length: 9\r\n\r\n".to_vec();
        let head = req.len();
        req.extend_from_slice(body);
        req.extend_from_slice(b"GET / HTTP/1.1\r\nX-B: \x03\r\n\r\n");
        let out = run(&[&req]);
        assert_eq!(&out[head..head + 9], body, "body untouched");
        assert!(out.ends_with(b"X-B: \xff\r\n\r\n"));
    }

    #[test]
    fn chunked_upgrade_and_http2_turn_it_off() {
        let mut req =
            b"POST /f HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\x01\x02\x03\r\n0\r\n\r\n"
                .to_vec();
        let copy = req.clone();
        Guard::default().feed(&mut req);
        assert_eq!(req, copy);
        let mut h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x01".to_vec();
        let copy = h2.clone();
        Guard::default().feed(&mut h2);
        assert_eq!(h2, copy);
    }
}
