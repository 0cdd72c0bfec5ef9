/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Executing one eIM package on an open EsimIsdr (SGP.32 v1.2 §3.3, digest
 * §3.3-§3.5), a step machine with no D-Bus and no daemon state:
 *
 *   euiccPackageRequest (BF51)  -> ES10b LoadEuiccPackage with the bytes the
 *       eIM signed, as received -> the card's EuiccPackageResult, as the card
 *       signed it (whichever arm: a replayError is a result for the eIM, not
 *       a failure).  The card keeps it listed until the eIM acknowledges it.
 *   ipaEuiccDataRequest (BF52)  -> each tag of the tagList gathered (ES10
 *       calls only for the tags asked; our ipaCapabilities and deviceInfo from
 *       @env) -> IpaEuiccDataResponse; a tag v1.2 does not define in
 *       IpaEuiccData (v1.0's 80/BF2B/88, EID 5A, BF2D…) -> incorrectTagList,
 *       as a vendor IPA answers (digest "Fourth pass").
 *   profileDownloadTriggerRequest (BF54) -> a download (esim-download.h):
 *       indirect, through the eIM (esim_esipa_client_new_relay()), when its
 *       configuration has indirectProfileDownload and we offer
 *       indirectRspServerCommunication; else direct over ES9+ through
 *       @env->new_smdp_server -> ProfileDownloadTriggerResult with the card's
 *       ProfileInstallationResult (BF37) raw, or a profileDownloadError with
 *       the card's answer that ended the session (BF38 / BF41) as
 *       errorResponse.
 *   eimAcknowledgements (BF53, pushed only) -> RemoveNotificationFromList for
 *       each sequence number; no result.
 *
 * The package fails (GError) only when the card cannot be used (transport,
 * status words, an answer that does not parse) or the call was cancelled
 * before anything reached the card; whatever the eIM must hear about (the
 * card's refusal, a failed download, an unknown tag) is the outcome's result.
 * An eimPackageError "package" is G_IO_ERROR_INVALID_ARGUMENT: the caller
 * handles it (esim-poll-cycle.h).
 *
 * Nothing personal is logged here (no EID, ICCID or activation code
 * unmasked).
 */
#pragma once

#include <gio/gio.h>

#include "esim-es10.h"
#include "esim-es10-download.h"
#include "esim-esipa-client.h"
#include "esim-esipa.h"
#include "esim-rsp-server.h"

G_BEGIN_DECLS

/* What we offer in ipaCapabilities when the caller says nothing: both download
 * routes, and ctxParams1 from the eIM (the download flow hands it to the card). */
#define ESIM_EIM_PACKAGE_DEFAULT_IPA_FEATURES                                      \
	(ESIM_IPA_FEATURE_DIRECT_RSP | ESIM_IPA_FEATURE_INDIRECT_RSP |             \
	 ESIM_IPA_FEATURE_EIM_CTX_PARAMS1)
#define ESIM_EIM_PACKAGE_DEFAULT_IPA_PROTOCOLS ESIM_IPA_PROTOCOL_RETRIEVE_HTTPS

/* What executing a package needs from its caller. */
typedef struct {
	EsimEsipaClient      *client;        /* the eIM it came from: indirect-download relay;
	                                      * NULL: no indirect download */
	/* the eIM's configuration as the card lists it (indirectProfileDownload);
	 * NULL: read from the card (GetEimConfigurationData) when a trigger needs it */
	const EsimEimConfig  *eim_config;
	const EsimDeviceInfo *device_info;   /* deviceInfo (TAC/IMEI from ModemManager); NULL: defaults */
	guint                 ipa_features;  /* EsimIpaFeatures we offer; 0: ESIM_EIM_PACKAGE_DEFAULT_IPA_FEATURES */
	guint                 ipa_protocols; /* EsimIpaProtocols; 0: ESIM_EIM_PACKAGE_DEFAULT_IPA_PROTOCOLS */
	/* direct download (ES9+): an EsimRspServer for an SM-DP+ address with the daemon's trust;
	 * NULL: a trigger that needs a direct download is answered with an error result */
	EsimRspServer *(*new_smdp_server) (const gchar *address, gpointer user_data, GError **error);
	gpointer              new_smdp_data;
} EsimEimPackageEnv;

/* What changed on the card: what the daemon reads again. */
typedef enum {
	ESIM_EIM_PACKAGE_CHANGED_PROFILES      = 1 << 0, /* installed, enabled, disabled, deleted, fallback */
	ESIM_EIM_PACKAGE_CHANGED_EIMS          = 1 << 1, /* addEim, deleteEim, updateEim */
	/* notifications queued or removed (the package's own result: kept_by_card) */
	ESIM_EIM_PACKAGE_CHANGED_NOTIFICATIONS = 1 << 2,
	ESIM_EIM_PACKAGE_CHANGED_ADDRESSES     = 1 << 3, /* default SM-DP+ address, immediate enable */
} EsimEimPackageChanged;

typedef struct {
	/* What to deliver to the eIM (owned, all its members); NULL: nothing
	 * (acknowledgements). */
	EsimEimPackageResult *result;
	/* The result stays on the card until the eIM acknowledges @seq_number
	 * (an EuiccPackageResult); FALSE: the caller keeps it (journal) until
	 * the eIM took it. */
	gboolean kept_by_card;
	gint64   seq_number;               /* of the card's EuiccPackageResult; -1: none */
	gboolean enabled_profile_changed;  /* enable/disable/rollback ran: the modem may reset, data drops */
	gboolean rollback_allowed;         /* the enable PSMO carried rollbackFlag */
	guint    changed;                  /* EsimEimPackageChanged */
} EsimEimPackageOutcome;

void esim_eim_package_outcome_free (EsimEimPackageOutcome *outcome);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEimPackageOutcome, esim_eim_package_outcome_free)

/* Frees an EsimEimPackageResult whose members are owned (as in an outcome). */
void esim_eim_package_result_free (EsimEimPackageResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEimPackageResult, esim_eim_package_result_free)

/* @isdr open; @package and @env are used until the callback (@env's
 * pointers must stay valid that long). */
void                   esim_eim_package_execute_async (EsimIsdr *isdr, const EsimEimPackage *package,
                                                       const EsimEimPackageEnv *env,
                                                       GCancellable *cancellable,
                                                       GAsyncReadyCallback callback, gpointer user_data);
EsimEimPackageOutcome *esim_eim_package_execute_finish (GAsyncResult *res, GError **error);

/* Whether the euiccPackageRequest @bf51 (raw, as the eIM sent it) carries an
 * enable PSMO with rollbackFlag.  Read-only routing; FALSE for anything that
 * does not parse. */
gboolean esim_eim_package_request_allows_rollback (GBytes *bf51);

G_END_DECLS
