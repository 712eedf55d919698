import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/jobs/parse-command.js';

const parse = (body: string) => parseCommand(body, 'patchling');

describe('parseCommand', () => {
  it('reads the three slash commands', () => {
    expect(parse('/patchling review')).toEqual({ kind: 'review' });
    expect(parse('/patchling fix')).toEqual({ kind: 'fix' });
    expect(parse('/patchling help')).toEqual({ kind: 'help' });
  });

  it('reads mentions like commands', () => {
    expect(parse('@patchling review')).toEqual({ kind: 'review' });
    expect(parse('@patchling fix the flaky test')).toEqual({ kind: 'fix', text: 'the flaky test' });
    expect(parse('@patchling[bot] help')).toEqual({ kind: 'help' });
    expect(parse('@patchling, fix this please')).toEqual({ kind: 'fix', text: 'this please' });
  });

  it('keeps the text after the command, on its line and the lines below', () => {
    expect(parse('/patchling fix handle empty input\n\nAlso add a test.\n')).toEqual({
      kind: 'fix',
      text: 'handle empty input\n\nAlso add a test.',
    });
    expect(parse('/patchling review focus on the parser')).toEqual({
      kind: 'review',
      text: 'focus on the parser',
    });
  });

  it('ignores case in the name and the subcommand', () => {
    expect(parse('/Patchling FIX now')).toEqual({ kind: 'fix', text: 'now' });
  });

  it('finds a command on a later line, and takes the first one', () => {
    expect(parse('Thanks!\n/patchling review\n/patchling fix')).toEqual({
      kind: 'review',
      text: '/patchling fix',
    });
  });

  it('accepts CRLF line endings and up to three spaces of indent', () => {
    expect(parse('hello\r\n   /patchling fix\r\nmore')).toEqual({ kind: 'fix', text: 'more' });
  });

  it('answers an unknown subcommand with help and a note', () => {
    expect(parse('/patchling deploy prod')).toEqual({
      kind: 'help',
      note: 'unknown command "deploy"',
    });
    expect(parse('@patchling can you look?')).toEqual({
      kind: 'help',
      note: 'unknown command "can"',
    });
  });

  it('answers the bare name with help', () => {
    expect(parse('/patchling')).toEqual({ kind: 'help' });
    expect(parse('@patchling')).toEqual({ kind: 'help' });
  });

  it('returns undefined for comments not addressed to Patchling', () => {
    expect(parse('LGTM')).toBeUndefined();
    expect(parse('')).toBeUndefined();
    expect(parse('please run /patchling fix')).toBeUndefined();
    expect(parse('cc me@patchling fix')).toBeUndefined();
  });

  it('does not take a longer name for the bot name', () => {
    expect(parse('/patchlingfix')).toBeUndefined();
    expect(parse('/patchling-dev fix')).toBeUndefined();
    expect(parse('@patchling-fan fix')).toBeUndefined();
    expect(parse('/patchling.fix')).toBeUndefined();
  });

  it('does not trigger on quoted lines in a reply', () => {
    expect(parse('> /patchling fix\n\nI would rather not.')).toBeUndefined();
    expect(parse('>> @patchling fix')).toBeUndefined();
    expect(parse('> /patchling fix\n/patchling review')).toEqual({ kind: 'review' });
  });

  it('does not trigger inside fenced code', () => {
    expect(parse('Use it like this:\n```\n/patchling fix\n```')).toBeUndefined();
    expect(parse('~~~md\n@patchling fix\n~~~')).toBeUndefined();
    expect(parse('````\n```\n/patchling fix\n````')).toBeUndefined();
    expect(parse('```\nunclosed\n/patchling fix')).toBeUndefined();
  });

  it('reads a command after a closed fence', () => {
    expect(parse('```\n/patchling fix\n```\n/patchling review')).toEqual({ kind: 'review' });
  });

  it('does not trigger inside indented code', () => {
    expect(parse('Example:\n\n    /patchling fix')).toBeUndefined();
    expect(parse('\t/patchling fix')).toBeUndefined();
  });

  it('does not trigger inside HTML comments, which GitHub hides', () => {
    expect(parse('<!-- /patchling fix -->')).toBeUndefined();
    expect(parse('Looks fine <!--\n/patchling fix\n-->')).toBeUndefined();
    expect(parse('<!--\nhidden\n-->\n/patchling review')).toEqual({ kind: 'review' });
  });

  it('uses the configured name, with regex characters taken literally', () => {
    expect(parseCommand('/acme-bot fix', 'acme-bot')).toEqual({ kind: 'fix' });
    expect(parseCommand('/patchling fix', 'acme-bot')).toBeUndefined();
    expect(parseCommand('/myxbot fix', 'my.bot')).toBeUndefined();
    expect(parseCommand('/my.bot fix', 'my.bot')).toEqual({ kind: 'fix' });
  });
});
