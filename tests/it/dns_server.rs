//! A DNS server on 127.0.0.1 for tests (UDP and TCP on one port), answering from a small zone
//! the way a recursive resolver would: a CNAME answer carries the rest of the chain.

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

#[derive(Clone, Debug)]
pub enum Entry {
    Cname(&'static str),
    A(Ipv4Addr),
    NxDomain,
    ServFail,
    /// Answered after a while.
    Slow(Duration, Box<Entry>),
    /// Over UDP only the truncation bit; the answer comes over TCP.
    TcpOnly(Box<Entry>),
}

pub struct DnsServer {
    pub addr: SocketAddr,
    /// Every question asked (`name TYPE`), in order.
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl DnsServer {
    pub async fn start(zone: &[(&str, Entry)]) -> DnsServer {
        let zone: Arc<HashMap<String, Entry>> =
            Arc::new(zone.iter().map(|(n, e)| (n.trim_end_matches('.').to_string(), e.clone())).collect());
        let asked = Arc::new(Mutex::new(Vec::new()));
        // The same port for UDP and TCP, as a resolver expects.
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            if let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()).await {
                break (Arc::new(udp), tcp);
            }
        };
        let addr = udp.local_addr().unwrap();
        let (z, a) = (zone.clone(), asked.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok((n, from)) = udp.recv_from(&mut buf).await {
                let (udp, z, a, query) = (udp.clone(), z.clone(), a.clone(), buf[..n].to_vec());
                tokio::spawn(async move {
                    if let Some(reply) = answer(&z, &a, &query, false).await {
                        let _ = udp.send_to(&reply, from).await;
                    }
                });
            }
        });
        let (zone_tcp, asked_tcp) = (zone, asked.clone());
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = tcp.accept().await {
                let (z, a) = (zone_tcp.clone(), asked_tcp.clone());
                tokio::spawn(async move {
                    loop {
                        let Ok(len) = conn.read_u16().await else { return };
                        let mut query = vec![0u8; len as usize];
                        if conn.read_exact(&mut query).await.is_err() {
                            return;
                        }
                        if let Some(reply) = answer(&z, &a, &query, true).await {
                            let _ = conn.write_u16(reply.len() as u16).await;
                            let _ = conn.write_all(&reply).await;
                        }
                    }
                });
            }
        });
        DnsServer { addr, asked }
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

/// The reply to one query; None when it can't be read.
async fn answer(zone: &HashMap<String, Entry>, asked: &Mutex<Vec<String>>, query: &[u8], tcp: bool) -> Option<Vec<u8>> {
    let q = Message::from_vec(query).ok()?;
    let question = q.queries.first()?.clone();
    let qname = question.name().to_ascii().trim_end_matches('.').to_ascii_lowercase();
    asked.lock().unwrap().push(format!("{qname} {}", question.query_type()));
    let mut reply = Message::response(q.metadata.id, q.metadata.op_code);
    reply.metadata.message_type = MessageType::Response;
    reply.metadata.recursion_desired = q.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.add_query(question.clone());
    let mut name = qname.clone();
    let mut entry = zone.get(&name).cloned();
    for _ in 0..10 {
        match entry.take() {
            None if reply.answers.is_empty() => reply.metadata.response_code = ResponseCode::NXDomain,
            None => {}
            Some(Entry::NxDomain) => reply.metadata.response_code = ResponseCode::NXDomain,
            Some(Entry::ServFail) => reply.metadata.response_code = ResponseCode::ServFail,
            Some(Entry::Slow(wait, inner)) => {
                tokio::time::sleep(wait).await;
                entry = Some(*inner);
                continue;
            }
            Some(Entry::TcpOnly(inner)) if tcp => {
                entry = Some(*inner);
                continue;
            }
            Some(Entry::TcpOnly(_)) => {
                reply.metadata.truncation = true;
                return reply.to_vec().ok();
            }
            Some(Entry::A(ip)) if question.query_type() == RecordType::A => {
                reply.add_answer(Record::from_rdata(Name::from_ascii(format!("{name}.")).ok()?, 60, RData::A(A(ip))));
            }
            Some(Entry::A(_)) => {}
            Some(Entry::Cname(target)) => {
                let rr = RData::CNAME(CNAME(Name::from_ascii(format!("{target}.")).ok()?));
                reply.add_answer(Record::from_rdata(Name::from_ascii(format!("{name}.")).ok()?, 60, rr));
                name = target.to_string();
                entry = zone.get(&name).cloned();
                continue;
            }
        }
        break;
    }
    reply.to_vec().ok()
}
