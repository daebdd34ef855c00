// The audit log's read side (the write side is the audit consumer).
export { AuditStoryReader, auditPlanPk, type StoryEvent, type StoryPage } from './story.js';
