/** Loads every Mongoose model so that start-up creates all collections and indexes. */
import './auth/model';
import './banks/model';
import './core/idempotency';
import './core/session-store';
import './users/model';
import './questionnaires/model';
import './assignments/model';
import './visits/model';
import './reports/model';
import './reports/corrections';
import './jobs/model';
import './mail/model';
import './disputes/model';
import './disputes/claims';
import './actions/model';
import './hr/model';
