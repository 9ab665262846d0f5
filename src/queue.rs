//! A queue bounded in items and in bytes, between a producer and a consumer that may fall
//! behind: a connection's outgoing messages, a `--exec` child's input. A producer that can be
//! slowed down (stdin, a child's output) waits for room; one that must not hold up anybody
//! else (a broadcast, a client's messages to its child) is refused, and the caller drops the
//! consumer that fell behind.

use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::{Semaphore, TryAcquireError, mpsc};

/// What an item costs against the byte bound.
pub trait Weighed {
    fn bytes(&self) -> usize;
}

impl Weighed for Vec<u8> {
    fn bytes(&self) -> usize {
        self.len()
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The item or byte bound is reached: the consumer is not keeping up.
    Full,
    /// The consumer is gone.
    Closed,
}

pub struct Sender<T> {
    items: mpsc::Sender<T>,
    /// One permit per byte of room.
    room: Arc<Semaphore>,
    byte_limit: usize,
    /// The runtime the queue was made on, for `blocking_send` from a plain thread.
    runtime: Option<Handle>,
}

// Derived Clone would require T: Clone.
impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            items: self.items.clone(),
            room: self.room.clone(),
            byte_limit: self.byte_limit,
            runtime: self.runtime.clone(),
        }
    }
}

pub struct Receiver<T> {
    items: mpsc::Receiver<T>,
    room: Arc<Semaphore>,
    byte_limit: usize,
}

/// A queue for at most `item_limit` items and `byte_limit` bytes. An item larger than the
/// byte bound still passes, alone.
pub fn bounded<T: Weighed>(item_limit: usize, byte_limit: usize) -> (Sender<T>, Receiver<T>) {
    // A semaphore takes at most u32::MAX permits at once.
    let byte_limit = byte_limit.clamp(1, u32::MAX as usize);
    let (items_tx, items_rx) = mpsc::channel(item_limit.max(1));
    let room = Arc::new(Semaphore::new(byte_limit));
    let sender = Sender {
        items: items_tx,
        room: room.clone(),
        byte_limit,
        runtime: Handle::try_current().ok(),
    };
    let receiver = Receiver {
        items: items_rx,
        room,
        byte_limit,
    };
    (sender, receiver)
}

/// The byte permits an item takes: never more than the whole bound, so that an oversized
/// item waits for an empty queue instead of forever.
fn permits(bytes: usize, byte_limit: usize) -> u32 {
    // byte_limit fits in u32 (see `bounded`).
    bytes.min(byte_limit) as u32
}

impl<T: Weighed> Sender<T> {
    /// Waits for room. Cancel-safe: when dropped before it completes, nothing was queued.
    pub async fn send(&self, item: T) -> Result<(), QueueError> {
        let permits = permits(item.bytes(), self.byte_limit);
        let room = match permits {
            0 => None,
            permits => Some(
                self.room
                    .acquire_many(permits)
                    .await
                    .map_err(|_| QueueError::Closed)?,
            ),
        };
        // Should this fail or be cancelled, `room` gives the bytes back as it drops.
        self.items
            .send(item)
            .await
            .map_err(|_| QueueError::Closed)?;
        // Held from now on by the item; the receiver gives them back.
        if let Some(room) = room {
            room.forget();
        }
        Ok(())
    }

    /// As `send`, from a thread outside the runtime (the stdin reader).
    pub fn blocking_send(&self, item: T) -> Result<(), QueueError> {
        // Only wakeups are needed to finish the send, no I/O or timers, so any thread may
        // block on it, even for a single-threaded runtime driven elsewhere.
        match &self.runtime {
            Some(runtime) => runtime.block_on(self.send(item)),
            None => Err(QueueError::Closed),
        }
    }

    /// Never waits. A refused item comes back with the reason.
    pub fn try_send(&self, item: T) -> Result<(), Refused<T>> {
        let permits = permits(item.bytes(), self.byte_limit);
        if permits > 0 {
            match self.room.try_acquire_many(permits) {
                Ok(room) => room.forget(),
                Err(TryAcquireError::NoPermits) => return Err(Refused::full(item)),
                Err(TryAcquireError::Closed) => return Err(Refused::closed(item)),
            }
        }
        self.items.try_send(item).map_err(|error| {
            self.room.add_permits(permits as usize);
            match error {
                mpsc::error::TrySendError::Full(item) => Refused::full(item),
                mpsc::error::TrySendError::Closed(item) => Refused::closed(item),
            }
        })
    }
}

/// An item `try_send` did not queue, and why.
#[derive(Debug)]
pub struct Refused<T> {
    pub error: QueueError,
    pub item: T,
}

impl<T> Refused<T> {
    fn full(item: T) -> Self {
        Refused {
            error: QueueError::Full,
            item,
        }
    }

    fn closed(item: T) -> Self {
        Refused {
            error: QueueError::Closed,
            item,
        }
    }
}

impl<T: Weighed> Receiver<T> {
    pub async fn recv(&mut self) -> Option<T> {
        let item = self.items.recv().await?;
        self.release(&item);
        Some(item)
    }

    pub fn try_recv(&mut self) -> Option<T> {
        let item = self.items.try_recv().ok()?;
        self.release(&item);
        Some(item)
    }

    fn release(&self, item: &T) {
        let permits = permits(item.bytes(), self.byte_limit);
        if permits > 0 {
            self.room.add_permits(permits as usize);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // A sender waiting for byte room learns that none will come.
        self.room.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_in_items_and_in_bytes() {
        let (sender, mut receiver) = bounded::<Vec<u8>>(3, 10);
        let try_send = |item: Vec<u8>| sender.try_send(item).map_err(|refused| refused.error);
        assert_eq!(try_send(vec![0; 6]), Ok(()));
        assert_eq!(try_send(vec![0; 5]), Err(QueueError::Full));
        assert_eq!(try_send(vec![0; 4]), Ok(()));
        assert_eq!(try_send(Vec::new()), Ok(()));
        assert_eq!(try_send(Vec::new()), Err(QueueError::Full));
        assert_eq!(receiver.try_recv().map(|item| item.len()), Some(6));
        assert_eq!(try_send(vec![0; 6]), Ok(()));
        drop(receiver);
        assert_eq!(try_send(Vec::new()), Err(QueueError::Closed));
        let refused = sender.try_send(vec![7]).unwrap_err();
        assert_eq!(refused.item, vec![7]);
    }

    #[tokio::test]
    async fn an_oversized_item_waits_for_an_empty_queue() {
        let (sender, mut receiver) = bounded::<Vec<u8>>(8, 10);
        sender.send(vec![1]).await.unwrap();
        let waiting = tokio::spawn({
            let sender = sender.clone();
            async move { sender.send(vec![2; 50]).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(receiver.recv().await, Some(vec![1]));
        assert_eq!(waiting.await.unwrap(), Ok(()));
        assert_eq!(receiver.recv().await.map(|item| item.len()), Some(50));
    }

    #[tokio::test]
    async fn a_waiting_sender_is_told_when_the_receiver_goes() {
        let (sender, receiver) = bounded::<Vec<u8>>(8, 10);
        sender.send(vec![0; 10]).await.unwrap();
        let waiting = tokio::spawn(async move { sender.send(vec![0; 1]).await });
        tokio::task::yield_now().await;
        drop(receiver);
        assert_eq!(waiting.await.unwrap(), Err(QueueError::Closed));
    }
}
