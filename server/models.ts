/** Loads every Mongoose model so that start-up creates all collections and indexes. */

import './banks/model';
import './platform/db/idempotency';
import './platform/db/session-store';
import './users/model';
import './questionnaires/model';
import './assignments/model';
import './visits/model';
import './visits/changes';
import './stats/model';
import './publishing/model';
import './publishing/corrections';
import './platform/jobs/model';
import './platform/mail/model';
import './disputes/model';
import './platform/db/write-claims';
import './actions/model';
import './hr/model';
import './audit/model';
import './auth/sso/model';
import './alerts/model';
import './webhooks/model';
import './calibration/model';
import './uploads/model';
