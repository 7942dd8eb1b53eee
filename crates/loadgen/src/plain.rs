//! Requests over plain HTTP/1.1 on connections of our own: the benchmark path.
//!
//! The load generator shares the machine with the server it measures, so every microsecond it
//! spends per request is taken from the server. `reqwest` parses the URL again, builds header
//! maps and runs redirect and decompression layers for every request: a third of the
//! generator's CPU at 10,000 check-ins/s. Here each request borrows an idle keep-alive
//! connection (or opens one), sends the pre-built request, and gives the connection back. HTTPS
//! servers still go through `reqwest` (see [`crate::client`]).

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::client::TransportError;

/// Keep-alive connections to one `http://host:port` server.
pub struct PlainPool {
    addr: SocketAddr,
    host: HeaderValue,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl PlainPool {
    /// A pool for `base` when it is an `http://` URL with a literal or resolvable host, else
    /// `None`.
    pub fn for_base(
        base: &str,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Option<PlainPool> {
        let authority = base.strip_prefix("http://")?.trim_end_matches('/');
        if authority.contains('/') {
            return None;
        }
        let addr = std::net::ToSocketAddrs::to_socket_addrs(authority)
            .ok()?
            .next()?;
        Some(PlainPool {
            addr,
            host: HeaderValue::from_str(authority).ok()?,
            idle: Mutex::new(Vec::new()),
            connect_timeout,
            request_timeout,
        })
    }

    /// Sends `request` (path, headers and body set; the `Host` header is added) and reads the
    /// whole reply.
    ///
    /// # Errors
    /// [`TransportError`] when no complete reply came in time.
    pub async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), TransportError> {
        request.headers_mut().insert(HOST, self.host.clone());
        match tokio::time::timeout(self.request_timeout, self.exchange(request)).await {
            Ok(reply) => reply,
            Err(_) => Err(TransportError::new("timeout", "no reply in time")),
        }
    }

    async fn exchange(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), TransportError> {
        let mut sender = match self.take_idle() {
            Some(sender) => sender,
            None => self.connect().await?,
        };
        sender
            .ready()
            .await
            .map_err(|error| TransportError::new("request", error))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| TransportError::new("request", error))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|error| TransportError::new("body", error))?
            .to_bytes();
        self.give_back(sender);
        Ok((status, body))
    }

    fn take_idle(&self) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(sender) = idle.pop() {
            if !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    fn give_back(&self, sender: SendRequest<Full<Bytes>>) {
        if !sender.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(sender);
        }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, TransportError> {
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(self.addr))
            .await
            .map_err(|_| TransportError::new("connect", "connection timed out"))?
            .map_err(|error| TransportError::new("connect", error))?;
        stream
            .set_nodelay(true)
            .map_err(|error| TransportError::new("connect", error))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| TransportError::new("connect", error))?;
        // Ends when the server closes the connection or the sender is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_servers_get_a_pool() {
        let timeout = Duration::from_secs(1);
        assert!(PlainPool::for_base("http://127.0.0.1:31443", timeout, timeout).is_some());
        assert!(PlainPool::for_base("http://127.0.0.1:31443/", timeout, timeout).is_some());
        assert!(PlainPool::for_base("https://127.0.0.1:31443", timeout, timeout).is_none());
        assert!(PlainPool::for_base("http://127.0.0.1:31443/kanri", timeout, timeout).is_none());
    }
}
