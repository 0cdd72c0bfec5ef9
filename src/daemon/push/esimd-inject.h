/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTPS inject listener: ESipa TransferEimPackage (SGP.32 v1.2 §3.1.1.2
 * eIM Package Injection, §6.3.2.8) served by esimd, off unless [push]
 * InjectPort is configured.  It answers only at the ESipa paths, in both
 * bindings, the ones the eIM uses in the retrieval direction (how an eIM
 * reaches an IPA over HTTPS is [unverified]: digest §3.6, §3.8; the test eIM
 * pushes the same way, tests/servers/esim-test-eim-push.c):
 *   - ASN.1: POST <asn1 path> (ESIM_ESIPA_PATH_ASN1), Content-Type
 *     application/x-gsma-rsp-asn1, body TransferEimPackageRequest (BF4E);
 *   - JSON: POST /gsma/rsp2/esipa/transferEimPackage, application/json.
 * The answer is TransferEimPackageResponse in the request's binding.
 *
 * Who may push (the package names its eUICC only when signed):
 *   - euiccPackageRequest (BF51) is signed by the eIM, and the eUICC checks the
 *     signature and the counter: accepted when one of our eUICCs has that EID
 *     and an eIM of that eimId configured;
 *   - ipaEuiccDataRequest, profileDownloadTriggerRequest and
 *     eimAcknowledgements carry no signature and no EID: accepted only from a
 *     client that presents the certificate the eIM's own server would be
 *     trusted by — under the eIM configuration's TLS trust
 *     (trustedPublicKeyDataTls: its pinned key, its certificate, or a CA
 *     that issued it one for the host of its eimFqdn) — for exactly one
 *     eUICC.  Without that, anyone who reaches the port could read the
 *     eUICC's data, start downloads or drop its notifications; with a CA
 *     and no name check, anyone that CA ever certified could.
 * Anything else is refused: 403 with an empty body and a log line (an unknown
 * eIM gets no ESipa answer).  Bad input: 404 (another path), 405 (not POST),
 * 415 (another Content-Type), 413 (a body over the cap), 400 (a body that is
 * not one TransferEimPackageRequest), each logged.  A client that takes
 * longer than the request timeout to send its request is disconnected.
 *
 * The package then goes to the handler, which runs it on the eUICC (a queued
 * operation) and answers through esimd_inject_request_return().  The
 * handler's own time is not bounded here: a download that runs for minutes
 * keeps the connection open (SGP.32 lets the IPA answer eimPackageReceived
 * instead and deliver the result with ProvideEimPackageResult).
 */
#pragma once

#include <gio/gio.h>

#include "esim-esipa.h"

G_BEGIN_DECLS

#define ESIMD_INJECT_MAX_BODY     (64 * 1024) /* a package is at most a few KiB */
#define ESIMD_INJECT_READ_TIMEOUT 30          /* seconds to send a whole request */

typedef enum {
	ESIMD_INJECT_BINDING_ASN1,
	ESIMD_INJECT_BINDING_JSON,
} EsimdInjectBinding;

typedef struct {
	const gchar *address;          /* an IP address; NULL: every address */
	guint16      port;             /* 0: a free port (tests) */
	const gchar *certificate_file; /* PEM: the certificate, then its issuers */
	const gchar *key_file;         /* PEM */
	gsize        max_body;         /* 0: ESIMD_INJECT_MAX_BODY */
	guint        read_timeout_s;   /* 0: ESIMD_INJECT_READ_TIMEOUT */
} EsimdInjectOptions;

/* An eIM configured on one of our eUICCs. */
typedef struct {
	gchar        *eid;        /* 32 digits */
	gchar        *eim_id;
	GTlsDatabase *tls_trust;  /* the eIM configuration's TLS trust; NULL: none */
	gchar        *host;       /* the host of its eimFqdn; NULL: none */
} EsimdInjectTarget;

/* @fqdn: the eIM's eimFqdn (host[:port]), nullable. */
EsimdInjectTarget *esimd_inject_target_new (const gchar *eid, const gchar *eim_id,
                                            GTlsDatabase *tls_trust, const gchar *fqdn);
void               esimd_inject_target_free (EsimdInjectTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdInjectTarget, esimd_inject_target_free)

/* One accepted package, waiting for the handler's answer. */
typedef struct _EsimdInjectRequest EsimdInjectRequest;

typedef struct {
	/* The eIMs configured now (EsimdInjectTarget*, a new array), asked for
	 * each request. */
	GPtrArray *(*list_targets) (gpointer user_data);
	/* Runs the package; calls esimd_inject_request_return() or
	 * _return_error() exactly once, now or later. */
	void       (*execute) (EsimdInjectRequest *request, gpointer user_data);
} EsimdInjectHandler;

const gchar          *esimd_inject_request_get_eid (EsimdInjectRequest *request);
const gchar          *esimd_inject_request_get_eim_id (EsimdInjectRequest *request);
const EsimEimPackage *esimd_inject_request_get_package (EsimdInjectRequest *request);
EsimdInjectBinding    esimd_inject_request_get_binding (EsimdInjectRequest *request);
/* Answers with @response (encoded at once in the request's binding) and frees
 * @request.  A response the codec refuses is answered as an error. */
void                  esimd_inject_request_return (EsimdInjectRequest *request,
                                                   const EsimTransferEimPackageResponse *response);
/* The package could not be run: eimPackageError undefinedError (127), logged
 * with @error; frees @request. */
void                  esimd_inject_request_return_error (EsimdInjectRequest *request,
                                                         const GError *error);

#define ESIMD_TYPE_INJECT_SERVER (esimd_inject_server_get_type ())
G_DECLARE_FINAL_TYPE (EsimdInjectServer, esimd_inject_server, ESIMD, INJECT_SERVER, GObject)

/* Loads the certificate and key and starts listening.  Errors name what
 * failed: the files (G_FILE_ERROR, G_TLS_ERROR), the address (G_IO_ERROR). */
EsimdInjectServer *esimd_inject_server_new (const EsimdInjectOptions *options,
                                            const EsimdInjectHandler *handler,
                                            gpointer handler_data, GError **error);
/* The port listened on (the chosen one when options->port was 0). */
guint16            esimd_inject_server_get_port (EsimdInjectServer *self);
/* Stops listening; requests the handler still runs are answered into the void. */
void               esimd_inject_server_stop (EsimdInjectServer *self);

/* For the fuzz target: what the listener makes of a request body (the same
 * parse, size and binding checks), the package or NULL with the error. */
EsimEimPackage    *esimd_inject_parse_body (EsimdInjectBinding binding, const guint8 *body,
                                            gsize len, gsize max_body, GError **error);

G_END_DECLS
