//! A TCP proxy in front of a real service, which a test can cut to simulate an outage
//! (for example Redis going away while the service runs), or freeze to simulate a server that
//! stops answering (connections are accepted and then hang, as with a frozen host).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};

pub struct Proxy {
    pub addr: String,
    cut: Arc<AtomicBool>,
    frozen: Arc<AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    held: Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let cut = Arc::new(AtomicBool::new(false));
        let frozen = Arc::new(AtomicBool::new(false));
        let conns: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let held: Arc<std::sync::Mutex<Vec<TcpStream>>> = Arc::default();
        let (target, c2, f2, conns2, held2) = (
            target.to_string(),
            cut.clone(),
            frozen.clone(),
            conns.clone(),
            held.clone(),
        );
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if c2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                if f2.load(Ordering::SeqCst) {
                    // Accepted, never answered.
                    held2.lock().unwrap().push(inbound);
                    continue;
                }
                let target = target.clone();
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(&target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                conns2.lock().unwrap().push(h.abort_handle());
            }
        });
        Proxy {
            addr,
            cut,
            frozen,
            conns,
            held,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    /// Drops every open connection; new ones are accepted and then hang without an answer.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    /// Back to forwarding; connections that hung while frozen are closed.
    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
        self.held.lock().unwrap().clear();
    }
}
