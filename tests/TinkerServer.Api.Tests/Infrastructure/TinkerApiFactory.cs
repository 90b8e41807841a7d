using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace TinkerServer.Api.Tests.Infrastructure;

/// <summary>
/// The real server in memory, on a temp directory of its own: SQLite file, checkpoint root and a canary
/// file beside the root that no request may touch. Time is a fake clock the test moves.
/// </summary>
public class TinkerApiFactory : WebApplicationFactory<Program>
{
    public TinkerApiFactory()
    {
        Directory.CreateDirectory(CheckpointRoot);
        File.WriteAllText(CanaryPath, CanaryContent);
    }

    public const string CanaryContent = "canary: must never be read, changed or removed";

    public string RootDirectory { get; } = Directory.CreateTempSubdirectory("tinker-api-").FullName;

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    public string CheckpointRoot => Path.Combine(DataDirectory, "checkpoints");

    /// <summary>A file beside the checkpoint root: "../canary.txt" seen from the root.</summary>
    public string CanaryPath => Path.Combine(DataDirectory, "canary.txt");

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("TinkerServer:DataDirectory", DataDirectory);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
        });
    }

    public T WithScope<T>(Func<IServiceProvider, T> action)
    {
        using var scope = Services.CreateScope();
        return action(scope.ServiceProvider);
    }

    public async Task WithScopeAsync(Func<IServiceProvider, Task> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await action(scope.ServiceProvider);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open must not fail the test run; the OS temp cleaner takes it.
            }
        }
    }
}
