using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Federation.Benchmarks.Http;

/// <summary>
/// One keep-alive HTTP/1.1 connection over a plain socket, one request at a time (no pipelining): the
/// request bytes are prepared in advance, the answer is read until its end (Content-Length or chunked).
/// A load generator built on it costs a send and a receive or two per request, against the several
/// hundred microseconds of CPU <see cref="HttpClient"/> spends per request here; on a 2-core machine
/// the client's CPU is taken from the server it measures, so a lean client is what lets the figure be
/// the server's.
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket) => _socket = socket;

    public static async Task<RawHttpConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new RawHttpConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The bytes of <c>POST path</c> with a JSON body and a bearer token, ready to send as they are.</summary>
    public static byte[] JsonPost(string host, string path, byte[] body, string token)
    {
        var head = Encoding.ASCII.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        var request = new byte[head.Length + body.Length];
        head.CopyTo(request, 0);
        body.CopyTo(request, head.Length);
        return request;
    }

    /// <summary>
    /// Sends the request and reads the whole answer. Returns its status code, and its body as text when the
    /// status is not <paramref name="expectedStatus"/> (for reporting a failure).
    /// </summary>
    public async Task<(int Status, string? Body)> SendAsync(byte[] request, int expectedStatus, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < request.Length)
        {
            sent += await _socket.SendAsync(request.AsMemory(sent), SocketFlags.None, cancellationToken);
        }

        // Status line and headers.
        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(HeaderEnd)) < 0)
        {
            await FillAsync(cancellationToken);
        }

        var head = _buffer.AsSpan(_start, headerEnd);
        var status = ParseStatus(head);
        var contentLength = -1L;
        var chunked = false;
        var close = false;
        foreach (var range in head.Split(Crlf))
        {
            var line = head[range];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) && Utf8Parser.TryParse(value, out long length, out _))
            {
                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) && value.IndexOf("chunked"u8) >= 0)
            {
                chunked = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8) && Ascii.EqualsIgnoreCase(value, "close"u8))
            {
                close = true;
            }
        }

        _start += headerEnd + HeaderEnd.Length;
        var body = status != expectedStatus ? new StringBuilder() : null;
        if (chunked)
        {
            while (true)
            {
                int lineEnd;
                while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(Crlf)) < 0)
                {
                    await FillAsync(cancellationToken);
                }

                var sizeText = _buffer.AsSpan(_start, lineEnd);
                var semicolon = sizeText.IndexOf((byte)';');
                if (!Utf8Parser.TryParse(semicolon >= 0 ? sizeText[..semicolon] : sizeText, out int size, out _, 'x'))
                {
                    throw new InvalidDataException("malformed chunk size in the answer");
                }

                _start += lineEnd + Crlf.Length;
                await ConsumeAsync(size + Crlf.Length, body, Crlf.Length, cancellationToken);
                if (size == 0)
                {
                    break;
                }
            }
        }
        else if (contentLength > 0)
        {
            await ConsumeAsync(contentLength, body, 0, cancellationToken);
        }

        if (close)
        {
            throw new IOException("the server closed the connection");
        }

        return (status, body?.ToString());
    }

    public void Dispose() => _socket.Dispose();

    private static int ParseStatus(ReadOnlySpan<byte> head)
    {
        // "HTTP/1.1 201 Created"
        var space = head.IndexOf((byte)' ');
        return space > 0 && head.Length >= space + 4 && Utf8Parser.TryParse(head.Slice(space + 1, 3), out int status, out _)
            ? status
            : throw new InvalidDataException("malformed status line in the answer");
    }

    /// <summary>Skips <paramref name="count"/> bytes (keeping them as text in <paramref name="body"/>, less the last <paramref name="trailer"/>).</summary>
    private async ValueTask ConsumeAsync(long count, StringBuilder? body, int trailer, CancellationToken cancellationToken)
    {
        var keep = count - trailer;
        while (count > 0)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            var take = (int)Math.Min(count, _end - _start);
            if (body is not null && keep > 0)
            {
                body.Append(Encoding.UTF8.GetString(_buffer, _start, (int)Math.Min(take, keep)));
            }

            keep -= take;
            _start += take;
            count -= take;
        }
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }

        _end += read;
    }
}
