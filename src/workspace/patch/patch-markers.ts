/** The literal markers of the apply_patch format, shared by the parser and the messages. */
export const BEGIN_PATCH = '*** Begin Patch';
export const END_PATCH = '*** End Patch';
export const ADD_FILE = '*** Add File: ';
export const DELETE_FILE = '*** Delete File: ';
export const UPDATE_FILE = '*** Update File: ';
export const MOVE_TO = '*** Move to: ';
export const END_OF_FILE = '*** End of File';
export const CHUNK_HEADER = '@@';
