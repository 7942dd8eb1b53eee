//! Who is on the other end of a loopback connection: the uid that owns the client's socket,
//! from the kernel's socket table (`/proc/net/tcp`). The form's URL travels through the
//! command lines of `xdg-open` and the browser, which every local user can read in `/proc`,
//! so the token alone would let another user of a shared PC answer for this one; the form
//! also insists that the connection comes from the session's user (or root).

use std::net::{IpAddr, SocketAddr};

/// The uid owning the socket at `client` that is connected to `server`, both on IPv4
/// loopback; `None` when the table has no such socket or cannot be read.
pub fn peer_uid(server: SocketAddr, client: SocketAddr) -> Option<u32> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    find_uid(&table, server, client)
}

/// Looks the connection up in the text of `/proc/net/tcp`: the client's socket is the line
/// whose local address is `client` and whose remote address is `server`, and it must be an
/// established socket with an inode. A client that already closed leaves a time-wait entry
/// that the kernel shows with uid 0 and inode 0: taking it would let anyone pass as root by
/// sending a request and closing at once.
pub fn find_uid(table: &str, server: SocketAddr, client: SocketAddr) -> Option<u32> {
    /// `st` of an established socket.
    const ESTABLISHED: &str = "01";
    let local = hex_address(client)?;
    let remote = hex_address(server)?;
    table.lines().skip(1).find_map(|line| {
        let columns: Vec<&str> = line.split_whitespace().collect();
        let (Some(l), Some(r), Some(state), Some(uid), Some(inode)) = (
            columns.get(1),
            columns.get(2),
            columns.get(3),
            columns.get(7),
            columns.get(9),
        ) else {
            return None;
        };
        let live = *state == ESTABLISHED && *inode != "0";
        (live && l.eq_ignore_ascii_case(&local) && r.eq_ignore_ascii_case(&remote))
            .then(|| uid.parse().ok())
            .flatten()
    })
}

/// An IPv4 address as the kernel prints it: the address's four bytes read as one native
/// integer, then the port, both in hex (`0100007F:1F90` for 127.0.0.1:8080 on x86).
fn hex_address(address: SocketAddr) -> Option<String> {
    let IpAddr::V4(ip) = address.ip() else {
        return None;
    };
    Some(format!(
        "{:08X}:{:04X}",
        u32::from_ne_bytes(ip.octets()),
        address.port()
    ))
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, TcpStream};

    use super::*;

    #[test]
    fn finds_the_owner_of_a_loopback_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap();
        let client = TcpStream::connect(server).unwrap();
        let (_accepted, client_address) = listener.accept().unwrap();
        assert_eq!(client.local_addr().unwrap(), client_address);
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        assert_eq!(peer_uid(server, client_address), Some(me));
        // Once the client has gone, nobody answers for it.
        drop(client);
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(peer_uid(server, client_address), None);
    }

    #[test]
    fn reads_the_table_format() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
            0: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 20 4 30 10 -1\n\
            1: 0100007F:1F90 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0 20 4 30 10 -1\n\
            2: 0100007F:C350 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0\n\
            3: 0100007F:C351 0100007F:1F90 05 00000000:00000000 00:00000000 00000000  1000        0 0 2 0\n";
        let server: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let client: SocketAddr = "127.0.0.1:41394".parse().unwrap();
        let expected = if cfg!(target_endian = "little") {
            Some(1000)
        } else {
            None
        };
        assert_eq!(find_uid(table, server, client), expected);
        assert_eq!(
            find_uid(table, server, "127.0.0.1:1".parse().unwrap()),
            None
        );
        // Time-wait (50000) and orphaned (50001) client sockets do not count.
        assert_eq!(
            find_uid(table, server, "127.0.0.1:50000".parse().unwrap()),
            None
        );
        assert_eq!(
            find_uid(table, server, "127.0.0.1:50001".parse().unwrap()),
            None
        );
        assert_eq!(find_uid("", server, client), None);
    }
}
