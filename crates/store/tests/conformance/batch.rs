//! Many rows per statement ([`BatchReads`], [`BatchWrites`]) and the transaction that
//! handles a batch of jobs with them ([`BufferedTransaction`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{
    BatchWrites, BufferedTransaction, CampaignReceipt, JobPayload, JourneyWrites, LeasedJob,
    NewTask, Queue, ReceiptRecord, Store, StoreError, StoreTransaction,
};
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(30);

fn at_micros(time: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp_micros(time.timestamp_micros()).expect("a valid time")
}

async fn save_profiles(store: &Arc<dyn Store>, count: usize) -> Vec<Profile> {
    let now = at_micros(Utc::now());
    let mut profiles: Vec<Profile> = (0..count)
        .map(|n| {
            let mut profile = Profile::new(Uuid::now_v7(), now);
            profile.external_id = Some(format!("batch-{n}-{}", profile.id));
            profile
        })
        .collect();
    profiles.sort_by_key(|profile| profile.id);
    crate::harness::save_profiles(store, &profiles).await;
    profiles
}

/// Tasks `ns` of `queue` (see [`crate::harness::task`]), due now.
fn tasks(queue: Queue, ns: &[u32]) -> Vec<NewTask> {
    ns.iter()
        .map(|n| crate::harness::new_task(queue, *n, Utc::now()))
        .collect()
}

fn received(minutes_ago: i64) -> CampaignReceipt {
    CampaignReceipt {
        last_received_at: Some(at_micros(Utc::now() - TimeDelta::minutes(minutes_ago))),
        ..CampaignReceipt::default()
    }
}

pub async fn many_rows_are_read_and_written_per_statement(store: Arc<dyn Store>) {
    let profiles = save_profiles(&store, 3).await;
    let missing = Uuid::now_v7();
    let ids = [profiles[2].id, missing, profiles[0].id, profiles[1].id];
    let found = store.profiles_by_id(&ids).await.expect("profiles by id");
    assert_eq!(
        found, profiles,
        "every stored profile, in id order; the missing id left out"
    );

    let (ada, bob) = (profiles[0].id, profiles[1].id);
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        tx.find_profiles_by_id(&ids)
            .await
            .expect("in a transaction"),
        profiles
    );
    let records = [
        ReceiptRecord {
            user_id: ada,
            campaign: "welcome".into(),
            receipt: received(30),
        },
        ReceiptRecord {
            user_id: bob,
            campaign: "welcome".into(),
            receipt: received(20),
        },
        ReceiptRecord {
            user_id: ada,
            campaign: "welcome".into(),
            receipt: received(10),
        },
        ReceiptRecord {
            user_id: ada,
            campaign: "nurture".into(),
            receipt: received(5),
        },
    ];
    tx.save_campaign_receipts(&records)
        .await
        .expect("save receipts");
    tx.enqueue_all(&[tasks(Queue::Canvas, &[1, 2]), tasks(Queue::Campaigns, &[3])].concat())
        .await
        .expect("enqueue all");
    tx.commit().await.expect("commit");

    let mut tx = store.begin().await.expect("begin");
    let mut read = tx
        .campaign_receipts_of(&[ada, missing])
        .await
        .expect("receipts of");
    read.sort_by(|a, b| a.campaign.cmp(&b.campaign));
    assert_eq!(
        read,
        vec![records[3].clone(), records[2].clone()],
        "the later of two receipts for one campaign wins; only the asked users'"
    );
    drop(tx);
    assert_eq!(
        store
            .campaign_receipt(bob, "welcome")
            .await
            .expect("receipt"),
        records[1].receipt
    );

    let claimed = store
        .claim(Queue::Canvas, Utc::now(), LEASE, 10)
        .await
        .expect("claim");
    let payloads: Vec<_> = claimed.iter().map(|job| job.payload.clone()).collect();
    assert_eq!(
        payloads,
        vec![
            JobPayload::Task(crate::harness::task(Queue::Canvas, 1)),
            JobPayload::Task(crate::harness::task(Queue::Canvas, 2))
        ]
    );
    assert_eq!(
        store.pending_jobs(Queue::Campaigns).await.expect("pending"),
        1
    );
}

pub async fn completing_many_jobs_reports_the_lost_leases(store: Arc<dyn Store>) {
    let mut tx = store.begin().await.expect("begin");
    tx.enqueue_all(&tasks(Queue::Canvas, &[1, 2, 3]))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let now = Utc::now();
    let first = store
        .claim(Queue::Canvas, now, LEASE, 3)
        .await
        .expect("claim");
    assert_eq!(first.len(), 3);
    // The lease expires and another worker takes the first job.
    let later = now + TimeDelta::seconds(31);
    let second = store
        .claim(Queue::Canvas, later, LEASE, 1)
        .await
        .expect("claim");
    assert_eq!(second[0].id, first[0].id);

    let mut tx = store.begin().await.expect("begin");
    let jobs: Vec<LeasedJob> = first.iter().map(LeasedJob::from).collect();
    let lost = tx.complete_jobs(&jobs).await.expect("complete jobs");
    tx.commit().await.expect("commit");
    assert_eq!(lost, vec![first[0].id], "only the job taken over is lost");
    assert_eq!(
        store.pending_jobs(Queue::Canvas).await.expect("pending"),
        1,
        "the taken-over job stays with its new worker"
    );
    store
        .complete(&second[0])
        .await
        .expect("its new lease completes");
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 0);
}

pub async fn a_buffered_transaction_reads_its_own_writes_and_writes_at_commit(
    store: Arc<dyn Store>,
) {
    let profiles = save_profiles(&store, 2).await;
    let (ada, bob) = (profiles[0].id, profiles[1].id);
    let bobs = received(60);
    let mut tx = store.begin().await.expect("begin");
    tx.save_campaign_receipt(bob, "welcome", &bobs)
        .await
        .expect("save");
    tx.enqueue_all(&tasks(Queue::Canvas, &[1]))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let claimed = store
        .claim(Queue::Canvas, Utc::now(), LEASE, 1)
        .await
        .expect("claim");

    let mut tx = Box::new(BufferedTransaction::begin(&*store).await.expect("begin"));
    tx.preload_profiles(&[ada, bob]).await.expect("profiles");
    tx.preload_receipts(&[ada, bob]).await.expect("receipts");
    let found = tx
        .find_profile(&UserIdentifier::BrazeId(ada))
        .await
        .expect("find");
    assert_eq!(found.as_ref(), Some(&profiles[0]));
    assert_eq!(
        tx.campaign_receipt(ada, "welcome").await.expect("receipt"),
        CampaignReceipt::default(),
        "a user without a row has the default receipt"
    );
    assert_eq!(
        tx.campaign_receipt(bob, "welcome").await.expect("receipt"),
        bobs
    );
    let newer = received(1);
    tx.save_campaign_receipt(ada, "welcome", &newer)
        .await
        .expect("save");
    assert_eq!(
        tx.campaign_receipt(ada, "welcome").await.expect("receipt"),
        newer,
        "read back before commit"
    );
    tx.enqueue_all(&tasks(Queue::Sends, &[7]))
        .await
        .expect("enqueue");
    tx.complete_job(&claimed[0]).await.expect("complete");
    assert_eq!(store.pending_jobs(Queue::Sends).await.expect("pending"), 0);
    tx.commit().await.expect("commit");

    assert_eq!(
        store
            .campaign_receipt(ada, "welcome")
            .await
            .expect("receipt"),
        newer
    );
    assert_eq!(store.pending_jobs(Queue::Sends).await.expect("pending"), 1);
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 0);
}

pub async fn a_lost_lease_rolls_the_whole_buffered_batch_back(store: Arc<dyn Store>) {
    let profiles = save_profiles(&store, 1).await;
    let user = profiles[0].id;
    let mut tx = store.begin().await.expect("begin");
    tx.enqueue_all(&tasks(Queue::Canvas, &[1, 2]))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let now = Utc::now();
    let first = store
        .claim(Queue::Canvas, now, LEASE, 2)
        .await
        .expect("claim");
    let taken = store
        .claim(Queue::Canvas, now + TimeDelta::seconds(31), LEASE, 1)
        .await
        .expect("claim again");
    assert_eq!(taken[0].id, first[0].id);

    let mut tx = Box::new(BufferedTransaction::begin(&*store).await.expect("begin"));
    tx.preload_receipts(&[user]).await.expect("receipts");
    tx.save_campaign_receipt(user, "welcome", &received(1))
        .await
        .expect("save");
    tx.enqueue_all(&tasks(Queue::Sends, &[1]))
        .await
        .expect("enqueue");
    for job in &first {
        tx.complete_job(job).await.expect("held until commit");
    }
    let outcome = tx.commit().await;
    assert!(
        matches!(outcome, Err(StoreError::LeaseLost { job_id }) if job_id == first[0].id),
        "{outcome:?}"
    );
    assert_eq!(
        store
            .campaign_receipt(user, "welcome")
            .await
            .expect("receipt"),
        CampaignReceipt::default(),
        "nothing of the batch was written"
    );
    assert_eq!(store.pending_jobs(Queue::Sends).await.expect("pending"), 0);
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 2);
    let expired = store
        .claim(Queue::Canvas, now + TimeDelta::seconds(31), LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(
        expired.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![first[1].id],
        "the failed commit released the job whose lease it still held"
    );
}

pub async fn a_claim_inside_a_transaction_counts_only_if_it_commits(store: Arc<dyn Store>) {
    let mut tx = store.begin().await.expect("begin");
    tx.enqueue_all(&tasks(Queue::Canvas, &[1]))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let now = Utc::now();

    let mut tx = store.begin().await.expect("begin");
    let claimed = tx
        .claim_jobs(Queue::Canvas, now, LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].attempts, 1);
    tx.rollback().await.expect("rollback");
    let again = store
        .claim(Queue::Canvas, now, LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1, "a rolled-back claim leaves the job ready");
    assert_eq!(again[0].attempts, 1, "and its attempt uncounted");

    let later = now + TimeDelta::seconds(31);
    let mut tx = store.begin().await.expect("begin");
    let claimed = tx
        .claim_jobs(Queue::Canvas, later, LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(claimed[0].attempts, 2);
    tx.complete_job(&claimed[0]).await.expect("complete");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.pending_jobs(Queue::Canvas).await.expect("pending"),
        0,
        "claimed and completed in one transaction"
    );
}

pub async fn a_rolled_back_transaction_leaves_nothing_and_releases_its_claims(
    store: Arc<dyn Store>,
) {
    let mut tx = store.begin().await.expect("begin");
    tx.enqueue_all(&[tasks(Queue::Canvas, &[1]), tasks(Queue::Broadcasts, &[1])].concat())
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let now = Utc::now();
    let profile = Profile::new(Uuid::now_v7(), at_micros(now));
    let changes = leadwire_core::attributes::ProfileChanges::default();

    for queue in [Queue::Canvas, Queue::Broadcasts] {
        let mut tx: Box<dyn StoreTransaction> = if queue == Queue::Broadcasts {
            Box::new(BufferedTransaction::begin(&*store).await.expect("begin"))
        } else {
            store.begin().await.expect("begin")
        };
        let claimed = tx.claim_jobs(queue, now, LEASE, 10).await.expect("claim");
        assert_eq!(claimed.len(), 1);
        tx.save_profiles(&[leadwire_store::ProfileWrite {
            profile: &profile,
            changes: &changes,
        }])
        .await
        .expect("save profile");
        tx.enqueue_all(&tasks(Queue::Sends, &[1]))
            .await
            .expect("enqueue");
        tx.rollback().await.expect("rollback");

        let again = store.claim(queue, now, LEASE, 10).await.expect("claim");
        assert_eq!(
            again.iter().map(|job| job.id).collect::<Vec<_>>(),
            vec![claimed[0].id],
            "{queue}: the rolled-back claim is free at once"
        );
        assert_eq!(again[0].attempts, 1, "{queue}: its attempt uncounted");
        assert_eq!(
            store
                .find_profile(&UserIdentifier::BrazeId(profile.id))
                .await
                .expect("find"),
            None,
            "{queue}: the saved profile is gone"
        );
        assert_eq!(
            store.pending_jobs(Queue::Sends).await.expect("pending"),
            0,
            "{queue}: the enqueued job is gone"
        );
    }
}
