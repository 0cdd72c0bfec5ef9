/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Error domains of the core library.  Nothing here knows about D-Bus: the
 * daemon maps these onto its registered org.freedesktop.Esimd1.Error.* names.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Transport and ISO 7816 status-word failures. */
#define ESIM_APDU_ERROR (esim_apdu_error_quark ())
GQuark esim_apdu_error_quark (void);

typedef enum {
	ESIM_APDU_ERROR_FAILED,               /* other SW; message carries it as hex */
	ESIM_APDU_ERROR_TRANSPORT,            /* channel backend failed (I/O, modem gone) */
	ESIM_APDU_ERROR_MALFORMED_RESPONSE,   /* response shorter than 2 bytes, bad chaining */
	ESIM_APDU_ERROR_NO_CHANNEL,           /* 6881/6A81 or MANAGE CHANNEL refused: no logical channel */
	ESIM_APDU_ERROR_NOT_FOUND,            /* 6A82: application (ISD-R) not found */
	ESIM_APDU_ERROR_WRONG_LENGTH,         /* 6700 */
	ESIM_APDU_ERROR_WRONG_DATA,           /* 6A80 */
	ESIM_APDU_ERROR_WRONG_P1P2,           /* 6A86 / 6B00 */
	ESIM_APDU_ERROR_INS_NOT_SUPPORTED,    /* 6D00 */
	ESIM_APDU_ERROR_CLA_NOT_SUPPORTED,    /* 6E00 */
	ESIM_APDU_ERROR_CONDITIONS,           /* 6985 conditions of use not satisfied (e.g. after REFRESH) */
	ESIM_APDU_ERROR_SECURITY,             /* 6982 */
	ESIM_APDU_ERROR_MEMORY,               /* 6581 / 6A84 */
	ESIM_APDU_ERROR_TECHNICAL,            /* 6F00 / 6400 / 6601 */
	ESIM_APDU_ERROR_CHANNEL_CLOSED,       /* session not open / closed under us */
	/* The backend lost its session with the modem (QMI client released,
	 * MBIM function restarted…) and the command never reached the card.
	 * Every logical channel the backend held is gone; its next open starts
	 * a new session.  EsimIsdr reopens and retries when that is safe. */
	ESIM_APDU_ERROR_SESSION_LOST,
} EsimApduError;

/*
 * An ES10 function answered with a non-ok result code.  Result enums differ per
 * function (1 is iccidOrAidNotFound for EnableProfile but nothingToDelete for
 * eUICCMemoryReset), so the ES10 layer maps each function's code onto one of
 * these meanings; the message names the function, the spec name of the code
 * and its number, e.g. "EnableProfile: profileNotInDisabledState (2)".
 */
#define ESIM_ES10_ERROR (esim_es10_error_quark ())
GQuark esim_es10_error_quark (void);

typedef enum {
	ESIM_ES10_ERROR_UNDEFINED,            /* undefinedError (127) or a code we do not know */
	ESIM_ES10_ERROR_NOT_FOUND,            /* iccidOrAidNotFound, eimNotFound, invalidCiPKId… */
	ESIM_ES10_ERROR_WRONG_STATE,          /* profileNotInEnabled/DisabledState */
	ESIM_ES10_ERROR_DISALLOWED_BY_POLICY, /* disallowedByPolicy, rollbackNotAllowed */
	ESIM_ES10_ERROR_CAT_BUSY,             /* catBusy */
	ESIM_ES10_ERROR_NO_MEMORY,            /* insufficientMemory */
	ESIM_ES10_ERROR_NOTHING_TO_DELETE,    /* nothingToDelete */
	ESIM_ES10_ERROR_ALREADY_EXISTS,       /* associatedEimAlreadyExists */
	ESIM_ES10_ERROR_INVALID,              /* commandError, incorrectInputValues, ciPKUnknown, counterValueOutOfRange… */
	ESIM_ES10_ERROR_ECALL_ACTIVE,         /* ecallActive (104) */
	/* download (AuthenticateServer, PrepareDownload, LoadBoundProfilePackage, CancelSession) */
	ESIM_ES10_ERROR_CERTIFICATE,          /* invalidCertificate, unsupportedCurve, invalidOid, ciPKUnknown */
	ESIM_ES10_ERROR_VERIFICATION_FAILED,  /* invalidSignature, euiccChallengeMismatch, scp03tSecurityError */
	ESIM_ES10_ERROR_NO_SESSION,           /* noSessionContext, invalidTransactionId */
	ESIM_ES10_ERROR_INSTALL_FAILED,       /* a ProfileInstallationResult errorResult not named above */
} EsimEs10Error;

/* The card's answer could not be understood (bad DER, wrong tag…). Code is EsimDerError. */
/* -> reuse ESIM_DER_ERROR from esim-der.h */

G_END_DECLS
