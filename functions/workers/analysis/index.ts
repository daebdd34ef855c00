export const handler = async () => {
  throw new Error('workers/analysis handler is not built yet');
};
