// Links to Business Central records in the web client (results and answers).
export { MAX_LINKS_PER_TASK, RECORD_PAGES, type RecordLink, recordLinks, recordUrl, type WebClientSettings, webClientSettingsFromEnv } from './web-client.js';
