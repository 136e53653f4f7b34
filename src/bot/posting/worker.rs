//! Sending a post's parts in one room, in order: each part recorded before it is sent (with a
//! transaction id derived from it, which the homeserver deduplicates) and confirmed after, so a
//! crash between the two sends it at most once more and the homeserver drops the repeat.

use std::sync::Arc;

use matrix_sdk::Client;
use matrix_sdk::ruma::events::room::message::{
    ReplacementMetadata, RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedTransactionId};
use tracing::{debug, info, warn};

use super::super::outbox::{self, Payload, stable_hash};
use super::plan::{Part, RoomPlan};
use crate::clock::Clock;
use crate::delivery::{self, Failure, GiveUp, Policy, Record, RoomStep};
use crate::metrics::{DeliveryOutcome, Metrics};
use crate::store::{Delivery, NewDelivery, PostRow, Store};

/// What one room task needs.
pub struct RoomWorker {
    pub client: Client,
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub post: PostRow,
    pub policy: Policy,
    pub metrics: Arc<Metrics>,
}

impl RoomWorker {
    /// Sends the room's parts in order until one has to wait, is given up, or all are done.
    pub async fn run(&self, room: &RoomPlan) {
        loop {
            let records = room.records(&self.store);
            match delivery::room_step(&records, self.clock.now(), self.policy) {
                RoomStep::Send(index) => {
                    let Some(part) = room.parts.get(index) else {
                        return;
                    };
                    let delivered = self.deliver(room, part).await;
                    let outcome = match delivered {
                        Ok(()) => DeliveryOutcome::Sent,
                        Err(_) => DeliveryOutcome::Failed,
                    };
                    self.metrics
                        .delivery(&self.post.kind, part.kind_label(), outcome);
                    if let Err(failure) = delivered {
                        warn!(post = %self.post.post_key, part = part.key(), room = %room.target.key, ?failure, "sending failed");
                        let attempts = match records.get(index) {
                            Some(Record::Pending { attempts, .. }) => attempts + 1,
                            _ => 1,
                        };
                        let retry_at =
                            delivery::after(self.clock.now(), delivery::backoff(attempts));
                        if let Err(error) = self.store.failed(
                            part.key(),
                            &room.target.key,
                            &failure.to_record(),
                            retry_at,
                        ) {
                            warn!(%error, "cannot record a failed send");
                        }
                        return;
                    }
                }
                RoomStep::GiveUp(index, reason) => {
                    let reason_record = match &reason {
                        GiveUp::MeetingStarted => "meeting-started".to_owned(),
                        GiveUp::KeptFailing(failure) => failure.to_record(),
                    };
                    for part in room.parts.iter().skip(index) {
                        self.metrics.delivery(
                            &self.post.kind,
                            part.kind_label(),
                            DeliveryOutcome::GivenUp,
                        );
                        let new = self.new_delivery(room, part);
                        if let Err(error) = self.store.give_up(&new, &reason_record) {
                            warn!(%error, "cannot record a given-up delivery");
                        }
                    }
                    info!(post = %self.post.post_key, room = %room.target.key, ?reason, "given up");
                    return;
                }
                RoomStep::Wait(..) | RoomStep::Settled => return,
            }
        }
    }

    fn new_delivery<'a>(&'a self, room: &'a RoomPlan, part: &'a Part) -> NewDelivery<'a> {
        NewDelivery {
            post_key: part.key(),
            room_id: &room.target.key,
            meeting_key: &self.post.meeting_key,
            meeting_title: &self.post.meeting_title,
            meeting_start: self.post.meeting_start,
            transaction_id: "",
            content_hash: match part {
                Part::Message { content_hash, .. } | Part::Edit { content_hash, .. } => {
                    content_hash
                }
                _ => "",
            },
            now: self.clock.now(),
        }
    }

    /// Sends one part: recorded before, confirmed after.
    async fn deliver(&self, room: &RoomPlan, part: &Part) -> Result<(), Failure> {
        let transaction_id = format!("convene-{}", stable_hash(&[part.key(), &room.target.key]));
        let mut new = self.new_delivery(room, part);
        new.transaction_id = &transaction_id;
        let record = self.store.begin(&new).map_err(|_| Failure::Database)?;
        if record.sent_at.is_some() {
            return Ok(());
        }
        let room_id = room.target.room_id.clone()?;
        let joined = outbox::joined_room(&self.client, &room_id)?;
        let transaction_id = OwnedTransactionId::from(record.transaction_id.clone());
        let target = &room.target.key;
        match part {
            Part::Message {
                key,
                payload,
                shown,
                ..
            } => {
                let event_id = outbox::send_payload(&joined, payload, transaction_id)
                    .await
                    .map_err(|e| outbox::classify(&e))?;
                self.sent(key, target, Some(event_id.as_str()), shown.as_deref())?;
                debug!(post = key, %room_id, %event_id, "delivered");
            }
            Part::File { key, attachment } => {
                let payload = Payload::File(attachment.clone());
                let event_id = outbox::send_payload(&joined, &payload, transaction_id)
                    .await
                    .map_err(|e| outbox::classify(&e))?;
                self.sent(key, target, Some(event_id.as_str()), None)?;
            }
            Part::Pin { key, message_key } => {
                let message = self
                    .store
                    .delivery(message_key, target)
                    .map_err(|_| Failure::Database)?
                    .and_then(|d| d.event_id)
                    .and_then(|id| OwnedEventId::try_from(id).ok());
                if let Some(event_id) = message {
                    outbox::pin(&self.store, &joined, &event_id).await?;
                }
                self.sent(key, target, None, None)?;
            }
            Part::Edit {
                key,
                original,
                content,
                shown,
                content_hash,
            } => {
                let edit = self
                    .edit(&joined, original, content, transaction_id)
                    .await?;
                self.sent(key, target, Some(edit.as_str()), None)?;
                self.store
                    .edited(&original.post_key, target, content_hash, shown)
                    .map_err(|_| Failure::Database)?;
                info!(post = %original.post_key, %room_id, "edited after a change");
            }
        }
        Ok(())
    }

    /// Records a part as sent (as the event `event_id`, showing `shown`).
    fn sent(
        &self,
        key: &str,
        room: &str,
        event_id: Option<&str>,
        shown: Option<&str>,
    ) -> Result<(), Failure> {
        self.store
            .sent(key, room, event_id, shown, self.clock.now())
            .map_err(|_| Failure::Database)
    }

    /// Sends the replacement of `original`'s message with `content`; the edit's event id.
    async fn edit(
        &self,
        joined: &matrix_sdk::Room,
        original: &Delivery,
        content: &RoomMessageEventContentWithoutRelation,
        transaction_id: OwnedTransactionId,
    ) -> Result<OwnedEventId, Failure> {
        let event_id = original
            .event_id
            .as_deref()
            .and_then(|id| OwnedEventId::try_from(id).ok())
            .ok_or(Failure::Other("the edited message has no event".to_owned()))?;
        let replacement = Payload::Message(Box::new(
            content
                .clone()
                .make_replacement(ReplacementMetadata::new(event_id, None)),
        ));
        outbox::send_payload(joined, &replacement, transaction_id)
            .await
            .map_err(|e| outbox::classify(&e))
    }
}
