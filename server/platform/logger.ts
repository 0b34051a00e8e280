import pino from 'pino';
import { config } from './config';

export const logger = pino({
  level: config().LOG_LEVEL,
  redact: {
    paths: ['req.headers.authorization', 'req.headers.cookie', 'password', '*.password'],
    censor: '[redacted]',
  },
  base: { app: 'mystery-shopper' },
});
