/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One round of notification delivery on the direct route (SGP.22 §3.5, SGP.32
 * §3.7 for an eUICC without an eIM):
 *
 *   RetrieveNotificationsList (the PendingNotifications kept byte for byte:
 *   the server gets exactly what the card signed)
 *   -> for each, in seqNumber order:
 *        ES9+ handleNotification to https://<notificationAddress>
 *        -> on acceptance: the journal records "delivered" (atomically)
 *        -> RemoveNotificationFromList -> the journal forgets it.
 *
 * Never lost, never twice: a notification leaves the card only after its
 * server accepted it, and one the journal says was accepted (esimd died
 * between the server's answer and the removal) is removed without being sent
 * again.  The record carries a digest of the notification, so that a
 * sequence number the card hands out again after a reset is not mistaken for
 * the delivered one.  Records of notifications no longer on the card are
 * forgotten.
 *
 * Failures: each failed attempt is counted and the next one put off, with
 * exponential backoff and jitter from retry_initial_s up to retry_max_s (one
 * jitter per round, so that notifications that failed together are retried
 * together; a retry due within 2 s of a round is made in it).  A
 * server that refuses a notification (a functionExecutionStatus "Failed" or
 * "Expired" header) is retried at the longest delay, never given up: the card
 * is the source of truth and only a user removes a notification unsent.  A
 * server that cannot be reached (or answers with an HTTP error) is not asked
 * again in the same round: its other notifications fail with the same error
 * and the other addresses go on.  A notification without an address (the
 * compact forms SGP.32 defines for the eIM) is left alone.
 *
 * Each address gets one HTTP session per round (keep-alive); the TLS trust is
 * the eUICC's, as for a download: the CIs its EUICCInfo1 lists (read once,
 * only when something is to be sent) from @ci_store, plus @system_database.
 *
 * The round fails only when the card fails (or the round is cancelled); what
 * was done up to then is in the journal.  Nothing is retried within a round.
 */
#pragma once

#include <gio/gio.h>

#include "esim-ci-store.h"
#include "esim-es10.h"

G_BEGIN_DECLS

/* hex SHA-256 of the PendingNotification TLV */
#define ESIM_NOTIFY_DIGEST_LEN 64

/* Defaults of the retry delays, in seconds. */
#define ESIM_NOTIFY_RETRY_INITIAL_DEFAULT 30
#define ESIM_NOTIFY_RETRY_MAX_DEFAULT     3600

/* What the journal keeps of one notification on the card. */
typedef struct {
	guint64  seq;
	/* the server accepted it: only its removal from the card is left */
	gboolean delivered;
	/* failed attempts (deliveries, or removals once delivered) and when the
	 * next one is due (unix seconds; 0: now) */
	guint    attempts;
	gint64   next_attempt;
	/* ESIM_NOTIFY_DIGEST_LEN hex digits, "" when unknown */
	gchar    digest[ESIM_NOTIFY_DIGEST_LEN + 1];
} EsimNotifyRecord;

/* The caller's persistent journal (esimd: its state directory).  @save must
 * be atomic: after a crash, the old record or the new one, never a mix. */
typedef struct {
	/* every record, EsimNotifyRecord; never NULL */
	GArray  *(*list)   (gpointer user_data);
	gboolean (*save)   (gpointer user_data, const EsimNotifyRecord *record, GError **error);
	gboolean (*forget) (gpointer user_data, guint64 seq, GError **error);
} EsimNotifyJournal;

typedef struct {
	const EsimNotifyJournal *journal;
	gpointer                 journal_data;
	EsimCiStore             *ci_store;          /* the CIs known to esimd */
	GTlsDatabase            *system_database;   /* nullable: the second trust source */
	guint                    retry_initial_s;   /* 0: ESIM_NOTIFY_RETRY_INITIAL_DEFAULT */
	guint                    retry_max_s;       /* 0: ESIM_NOTIFY_RETRY_MAX_DEFAULT */
	guint                    http_timeout_s;    /* 0: the HTTP client's default */
	/* try every notification now, whatever its next attempt says */
	gboolean                 force;
} EsimNotifyOptions;

typedef enum {
	ESIM_NOTIFY_ITEM_PENDING,       /* not tried yet */
	ESIM_NOTIFY_ITEM_DELIVERED,     /* accepted in this round and removed from the card */
	ESIM_NOTIFY_ITEM_REMOVED,       /* accepted earlier, removed now without a second send */
	ESIM_NOTIFY_ITEM_ACCEPTED,      /* accepted, still on the card: its removal is due later */
	ESIM_NOTIFY_ITEM_FAILING,       /* not delivered yet; retried at next_attempt */
	ESIM_NOTIFY_ITEM_REFUSED,       /* the server refused it; retried at next_attempt */
	ESIM_NOTIFY_ITEM_UNDELIVERABLE, /* no notificationAddress: not for the direct route */
} EsimNotifyItemState;

/* "pending", "delivered", "removed", "accepted", "failing", "refused", "undeliverable" */
const gchar *esim_notify_item_state_to_string (EsimNotifyItemState state);

/* One notification the round saw. */
typedef struct {
	guint64             seq;
	guint               events;       /* EsimNotificationEvent */
	gchar              *address;      /* NULL when it has none */
	gchar              *iccid;        /* NULL when it has none */
	EsimNotifyItemState state;
	guint               attempts;
	gint64              next_attempt; /* 0: none scheduled */
	gboolean            tried;        /* sent or removed in this round */
	gchar              *error;        /* why this round's attempt failed; NULL */
} EsimNotifyItem;

typedef struct {
	GPtrArray *items;        /* EsimNotifyItem*, in seqNumber order */
	guint      delivered;    /* sent and accepted in this round */
	guint      removed;      /* accepted earlier, removed without a second send */
	guint      failed;       /* attempts that failed in this round */
	guint      deferred;     /* not due yet, left for later */
	guint      left;         /* still on the card after the round */
	gint64     next_attempt; /* the earliest retry due (unix seconds), 0: none */
} EsimNotifyResult;

void esim_notify_result_free (EsimNotifyResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimNotifyResult, esim_notify_result_free)

/* The delay before attempt @attempts + 1 after @attempts failures (>= 1):
 * @initial_s doubled per failure, at most @max_s, less up to a quarter at
 * random so that many devices do not retry in step. */
guint esim_notify_backoff_delay (guint attempts, guint initial_s, guint max_s);

/* Runs a round on @isdr (open).  @options is copied. */
void              esim_notify_round_async (EsimIsdr *isdr, const EsimNotifyOptions *options,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data);
EsimNotifyResult *esim_notify_round_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);

G_END_DECLS
