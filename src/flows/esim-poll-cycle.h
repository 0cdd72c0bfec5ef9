/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One poll cycle of an eUICC with one eIM (SGP.32 v1.2 §3.1.1.1, digest
 * §3.6; onomondo-ipa ipad.c ipa_poll()), a step machine over an open EsimIsdr
 * and the eIM's EsimEsipaClient, with no D-Bus and no daemon state:
 *
 *   EID (cached, else GetEID)
 *   -> results the journal holds (the card does not keep them): delivered
 *      with ProvideEimPackageResult, forgotten once the eIM took them (2xx)
 *   -> only when the cache says there may be some (or does not know):
 *      RetrieveNotificationsList for EuiccPackageResults and notifications;
 *      the EPRs of this eIM delivered (the first with the notifications as
 *      ePRAndNotifications), removed on eimAcknowledgements; lone
 *      notifications delivered with HandleNotification and removed after it
 *   -> GetEimPackage (notifyStateChange + stateChangeCause when asked)
 *      -> noEimPackageAvailable: the end
 *      -> any other eimPackageError: the cycle ends with that error
 *      -> a package: executed (esim-eim-package.h); its result journalled
 *         first when the card does not keep it, delivered, acknowledgements
 *         removed from the card, the journal entry forgotten; then again from
 *         the pending step, up to max_packages
 *   -> the procedure ends (esim_esipa_client_end_procedure(): one connection
 *      per cycle).
 *
 * Never lost, never twice: a result leaves the card (or the journal) only
 * after the eIM took it; after a crash between LoadEuiccPackage and
 * ProvideEimPackageResult the next cycle finds the EPR on the card and
 * delivers it.  A result delivered but not acknowledged stays and is
 * delivered again by a later cycle (never twice in one).
 *
 * A package that changes the enabled profile (enable, disable) stops the
 * cycle after its result was tried: the data connection is about to change,
 * and the daemon polls again on the new profile (IPA_POLL_AGAIN_WHEN_ONLINE),
 * which delivers whatever did not go out.
 *
 * Errors: the card's (ESIM_APDU_ERROR, ESIM_ES10_ERROR, ESIM_DER_ERROR), the
 * eIM's and the network's as esim-esipa-client.h gives them (an
 * eimPackageError other than noEimPackageAvailable is
 * ESIM_ESIPA_ERROR_REFUSED, "GetEimPackage: eidNotFound (2)"), the journal's.
 * On failure esim_poll_cycle_dup_report() says what was done.
 */
#pragma once

#include <gio/gio.h>

#include "esim-eim-package.h"

G_BEGIN_DECLS

/* What a running daemon knows of the card, so an empty poll costs <= 2 APDUs
 * (0 with the EID and an empty pending list known).  The cycle fills it and
 * uses it; the caller invalidates it (pending_known = FALSE, or eid NULL)
 * after a card reset or an operation that changed what it holds (a local
 * enable, a download outside the eIM…). */
typedef struct {
	gchar   *eid;
	gboolean pending_known;  /* the count below is current */
	guint    pending;        /* EuiccPackageResults + notifications on the card for the eIM route */
} EsimPollCache;

void esim_poll_cache_clear (EsimPollCache *cache);

/* Results the card does not keep (IpaEuiccDataResponse, ProfileDownloadTriggerResult, an
 * eimPackageResultResponseError) are saved in the caller's journal before they are sent and
 * forgotten once the eIM took them; a cycle starts by delivering what the journal holds.
 * One journal per eUICC (@user_data says which); @save atomic (esimd: its state directory).
 * @encoded is the EimPackageResult CHOICE as esim_esipa_encode_eim_package_result() makes it
 * (binding-independent); @key is esim_poll_journal_key (@encoded). */
typedef struct {
	GPtrArray *(*list)   (gpointer user_data, const gchar *eim_id);   /* GBytes* encoded results, oldest first */
	gboolean   (*save)   (gpointer user_data, const gchar *eim_id, const gchar *key, GBytes *encoded,
	                      GError **error);
	gboolean   (*forget) (gpointer user_data, const gchar *eim_id, const gchar *key, GError **error);
} EsimPollJournal;

/* A file-name-safe key for @encoded: its SHA-256 in lower-case hex. */
gchar *esim_poll_journal_key (GBytes *encoded);
/* A journalled result back (IPA_EUICC_DATA, DOWNLOAD_TRIGGER or ERROR);
 * ESIM_DER_ERROR for anything else.  Also the fuzz target's entry. */
EsimEimPackageResult *esim_poll_journal_decode (GBytes *encoded, GError **error);

#define ESIM_POLL_DEFAULT_MAX_PACKAGES 16

typedef struct {
	EsimEsipaClient         *client;
	const EsimEimPackageEnv *env;            /* NULL: defaults, no direct download; env->client
	                                          * is replaced by @client */
	const EsimPollJournal   *journal;        /* NULL: results the card does not keep are sent unjournalled */
	gpointer                 journal_data;
	guint                    max_packages;   /* re-poll at once while packages keep coming, up to
	                                          * this; 0: ESIM_POLL_DEFAULT_MAX_PACKAGES */
	/* notifyStateChange in the first GetEimPackage, with this stateChangeCause
	 * (ESIM_STATE_CHANGE_*); -1: none.  Zero-initialised options ask for
	 * otherEim (0): set -1 unless the cycle follows a state change. */
	gint                     state_change_cause;
	const gchar             *rplmn;          /* NULL: left out */
} EsimPollCycleOptions;

typedef struct {
	guint    packages;                 /* executed */
	guint    results_delivered;        /* EPRs and journalled results the eIM took */
	guint    notifications_delivered;
	guint    acknowledged;             /* sequence numbers removed from the card */
	gboolean enabled_profile_changed;  /* stop: the data connection is about to change */
	gboolean rollback_allowed;
	gboolean more;                     /* stopped at max_packages, or at a switch, with more to do */
	guint    changed;                  /* union of the packages' EsimEimPackageChanged */
	gint     last_package_error;       /* the eimPackageError that ended it; -1: none */
} EsimPollReport;

void esim_poll_report_free (EsimPollReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimPollReport, esim_poll_report_free)

/* @isdr open; @options and @cache are used until the callback. */
void            esim_poll_cycle_async (EsimIsdr *isdr, const EsimPollCycleOptions *options,
                                       EsimPollCache *cache, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
/* The report; NULL with @error on failure. */
EsimPollReport *esim_poll_cycle_finish (GAsyncResult *res, GError **error);
/* What a finished cycle (@res, failed or not) did before it ended: for the
 * daemon's LastError and logs after a failure.  Transfer full. */
EsimPollReport *esim_poll_cycle_dup_report (GAsyncResult *res);

/* After a LOCAL change of the card's state (a user's enable, a fallback, an
 * emergency profile, a memory reset…): a cycle whose first GetEimPackage
 * carries notifyStateChange with @cause (ESIM_STATE_CHANGE_LOCAL…; SGP.32 v1.2
 * GetEimPackageRequest, digest §3.2/§3.8), so that the eIM refreshes what it
 * knows of the eUICC (it may answer with an ipaEuiccDataRequest, executed
 * here).  The cache's pending state is dropped first (a local change leaves
 * notifications).  Finish with esim_poll_cycle_finish(). */
void            esim_poll_cycle_notify_state_change_async (EsimIsdr *isdr,
                                                           const EsimPollCycleOptions *options,
                                                           EsimPollCache *cache, gint cause,
                                                           GCancellable *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer user_data);

/* A pushed package (TransferEimPackage, SGP.32 §3.1.1.2), and what the IPA
 * answers it with.  response points into this struct: encode it with
 * esim_esipa_client_encode_transfer_response() while it lives. */
typedef struct {
	EsimTransferEimPackageResponse response;
	EsimEimPackageOutcome         *outcome;      /* NULL: nothing executed */
	gchar                         *eim_transaction_id;
	gchar                         *eid;
} EsimPollPushAnswer;

void esim_poll_push_answer_free (EsimPollPushAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimPollPushAnswer, esim_poll_push_answer_free)

/* Executes @package as a cycle would, and answers:
 *   euiccPackageRequest   -> the card's EuiccPackageResult (it stays on the
 *                            card until acknowledged: a later cycle delivers
 *                            it again if this answer is lost);
 *   ipaEuiccDataRequest   -> the IpaEuiccDataResponse (a read: not journalled;
 *                            an eIM that lost it asks again);
 *   profileDownloadTriggerRequest -> eimPackageReceived[WithCid]; the trigger's
 *                            result is journalled and delivered with
 *                            ProvideEimPackageResult before this returns;
 *   eimAcknowledgements   -> removed from the card; eimPackageReceived.
 * @report (nullable): what was done. */
void                esim_poll_cycle_execute_pushed_async (EsimIsdr *isdr, const EsimPollCycleOptions *options,
                                                          EsimPollCache *cache, const EsimEimPackage *package,
                                                          GCancellable *cancellable,
                                                          GAsyncReadyCallback callback, gpointer user_data);
EsimPollPushAnswer *esim_poll_cycle_execute_pushed_finish (GAsyncResult *res, EsimPollReport **report,
                                                           GError **error);

/* After an enable with rollbackFlag that brought no connectivity:
 * ProfileRollback (refreshFlag set).  Its EuiccPackageResult stays on the card
 * for the next cycle (the cache is told there is one); no network here. */
void     esim_poll_cycle_rollback_async (EsimIsdr *isdr, const EsimPollCycleOptions *options,
                                         EsimPollCache *cache, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean esim_poll_cycle_rollback_finish (GAsyncResult *res, GError **error);

G_END_DECLS
