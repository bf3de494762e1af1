using System.Net;
using System.Net.Sockets;

namespace Federation.TestKit.Net;

/// <summary>
/// A loopback TCP forwarder between a client and a database server (PostgreSQL in the provider and server
/// tests), to stage an outage without stopping the shared test database. <see cref="Cut"/>: the database went away (every forwarded connection is reset, new ones
/// are closed on accept). <see cref="Stall"/>: the database stopped answering (bytes stop flowing both ways,
/// new connections are accepted but never forwarded), so only the client's own timeouts end a call.
/// <see cref="Restore"/> forwards again.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly Lock _gate = new();
    private readonly List<Socket> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private bool _cut;
    private TaskCompletionSource _flowing = NewFlowing(open: true);

    public TcpForwarder(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The loopback port to connect to instead of the database's.</summary>
    public int Port { get; }

    /// <summary>Resets every forwarded connection; until <see cref="Restore"/>, new ones are closed at once.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            _cut = true;
            CloseAllLocked();
        }
    }

    /// <summary>Stops every byte: open connections hang, new ones are accepted and left unanswered.</summary>
    public void Stall()
    {
        lock (_gate)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = NewFlowing(open: false);
            }
        }
    }

    /// <summary>Forwards again. Connections cut or timed out meanwhile stay closed; the client opens new ones.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            _cut = false;

            // Whatever stalled meanwhile was given up by the client: close it rather than replay stale bytes.
            if (!_flowing.Task.IsCompleted)
            {
                CloseAllLocked();
                _flowing.TrySetResult();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        Restore();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // The accept loop ends by cancellation.
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource NewFlowing(bool open)
    {
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            flowing.SetResult();
        }

        return flowing;
    }

    private void CloseAllLocked()
    {
        foreach (var socket in _open)
        {
            // Linger 0: a reset, as when the database host drops the connection.
            socket.Close(0);
        }

        _open.Clear();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket incoming;
            try
            {
                incoming = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ForwardAsync(incoming);
        }
    }

    private async Task ForwardAsync(Socket incoming)
    {
        var outgoing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task flowing;
        lock (_gate)
        {
            if (_cut)
            {
                incoming.Close(0);
                outgoing.Dispose();
                return;
            }

            _open.Add(incoming);
            _open.Add(outgoing);
            flowing = _flowing.Task;
        }

        try
        {
            // A stalled forwarder holds a new connection unanswered until restored (or cut).
            await flowing.WaitAsync(_stop.Token);
            await outgoing.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            await Task.WhenAny(PumpAsync(incoming, outgoing), PumpAsync(outgoing, incoming));
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A cut connection ends its pumps with one of these.
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(incoming);
                _open.Remove(outgoing);
            }

            incoming.Dispose();
            outgoing.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }

            Task flowing;
            lock (_gate)
            {
                flowing = _flowing.Task;
            }

            await flowing.WaitAsync(_stop.Token);
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
    }
}
